/**
 * The hot loops of training one dense layer `y = x · W + b` on a batch, in float64, with `W` stored
 * `inputs × outputs` row-major at `params[wOff…]` and `b` at `params[bOff…]`. Outputs are handled in
 * blocks of 8 held in local variables (registers), so each multiply-add costs one array load; zero
 * inputs (ReLU zeros, blank pixels) are skipped by first gathering the non-zero entries of a row (forward)
 * or column (weight gradients), which keeps data-dependent branches out of the inner loops. The sums of
 * the forward pass and the weight gradients run over their terms in ascending index order; the input
 * gradients use four interleaved partial sums. Deterministic: the same inputs give the same bits.
 */

/** Scratch for the non-zero entries of one row or column: offsets and values, each ≥ the longest. */
export interface SparseScratch {
  readonly index: Int32Array;
  readonly value: Float64Array;
}

/** Writes `dst[r, o] = b[o] + Σᵢ src[r, i]·W[i, o]` for `rows` rows (no activation). */
export function denseForward(
  params: Float64Array,
  wOff: number,
  bOff: number,
  src: Float64Array,
  inputs: number,
  dst: Float64Array,
  outputs: number,
  rows: number,
  scratch: SparseScratch,
): void {
  const blocked = outputs - (outputs % 8);
  const { index, value } = scratch;
  for (let r = 0; r < rows; r++) {
    const xo = r * inputs;
    const ro = r * outputs;
    let nz = 0;
    for (let i = 0; i < inputs; i++) {
      const xv = src[xo + i]!;
      if (xv !== 0) {
        index[nz] = wOff + i * outputs;
        value[nz++] = xv;
      }
    }
    for (let ob = 0; ob < blocked; ob += 8) {
      const b = bOff + ob;
      let a0 = params[b]!;
      let a1 = params[b + 1]!;
      let a2 = params[b + 2]!;
      let a3 = params[b + 3]!;
      let a4 = params[b + 4]!;
      let a5 = params[b + 5]!;
      let a6 = params[b + 6]!;
      let a7 = params[b + 7]!;
      for (let k = 0; k < nz; k++) {
        const xv = value[k]!;
        const w = index[k]! + ob;
        a0 += xv * params[w]!;
        a1 += xv * params[w + 1]!;
        a2 += xv * params[w + 2]!;
        a3 += xv * params[w + 3]!;
        a4 += xv * params[w + 4]!;
        a5 += xv * params[w + 5]!;
        a6 += xv * params[w + 6]!;
        a7 += xv * params[w + 7]!;
      }
      const d = ro + ob;
      dst[d] = a0;
      dst[d + 1] = a1;
      dst[d + 2] = a2;
      dst[d + 3] = a3;
      dst[d + 4] = a4;
      dst[d + 5] = a5;
      dst[d + 6] = a6;
      dst[d + 7] = a7;
    }
    for (let o = blocked; o < outputs; o++) {
      let a = params[bOff + o]!;
      for (let k = 0; k < nz; k++) a += value[k]! * params[index[k]! + o]!;
      dst[ro + o] = a;
    }
  }
}

/**
 * Adds the layer's parameter gradients: `gW[i, o] += Σ_r src[r, i]·delta[r, o]` and
 * `gb[o] += Σ_r delta[r, o]`, for `rows` rows.
 */
export function denseParamGradients(
  grad: Float64Array,
  wOff: number,
  bOff: number,
  src: Float64Array,
  inputs: number,
  delta: Float64Array,
  outputs: number,
  rows: number,
  scratch: SparseScratch,
): void {
  const { index, value } = scratch;
  for (let o = 0; o < outputs; o++) {
    let a = 0;
    for (let r = 0, d = o; r < rows; r++, d += outputs) a += delta[d]!;
    grad[bOff + o]! += a;
  }
  const blocked = outputs - (outputs % 8);
  for (let i = 0; i < inputs; i++) {
    const w0 = wOff + i * outputs;
    let nz = 0;
    for (let r = 0; r < rows; r++) {
      const xv = src[r * inputs + i]!;
      if (xv !== 0) {
        index[nz] = r * outputs;
        value[nz++] = xv;
      }
    }
    for (let ob = 0; ob < blocked; ob += 8) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let a4 = 0;
      let a5 = 0;
      let a6 = 0;
      let a7 = 0;
      for (let k = 0; k < nz; k++) {
        const xv = value[k]!;
        const d = index[k]! + ob;
        a0 += xv * delta[d]!;
        a1 += xv * delta[d + 1]!;
        a2 += xv * delta[d + 2]!;
        a3 += xv * delta[d + 3]!;
        a4 += xv * delta[d + 4]!;
        a5 += xv * delta[d + 5]!;
        a6 += xv * delta[d + 6]!;
        a7 += xv * delta[d + 7]!;
      }
      const w = w0 + ob;
      grad[w]! += a0;
      grad[w + 1]! += a1;
      grad[w + 2]! += a2;
      grad[w + 3]! += a3;
      grad[w + 4]! += a4;
      grad[w + 5]! += a5;
      grad[w + 6]! += a6;
      grad[w + 7]! += a7;
    }
    for (let o = blocked; o < outputs; o++) {
      let a = 0;
      for (let k = 0; k < nz; k++) a += value[k]! * delta[index[k]! + o]!;
      grad[w0 + o]! += a;
    }
  }
}

/**
 * Writes the gradient with respect to the layer's inputs, `next[r, i] = Σ_o delta[r, o]·W[i, o]`, set to 0
 * where `masked` and the input was 0 (a ReLU that was off passes no gradient).
 */
export function denseInputGradients(
  params: Float64Array,
  wOff: number,
  src: Float64Array,
  inputs: number,
  delta: Float64Array,
  outputs: number,
  rows: number,
  masked: boolean,
  next: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const xo = r * inputs;
    const ro = r * outputs;
    for (let i = 0; i < inputs; i++) {
      if (masked && src[xo + i] === 0) {
        next[xo + i] = 0;
        continue;
      }
      const w = wOff + i * outputs;
      // Four partial sums: independent additions instead of one latency-bound chain.
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let o = 0;
      for (; o + 4 <= outputs; o += 4) {
        a0 += delta[ro + o]! * params[w + o]!;
        a1 += delta[ro + o + 1]! * params[w + o + 1]!;
        a2 += delta[ro + o + 2]! * params[w + o + 2]!;
        a3 += delta[ro + o + 3]! * params[w + o + 3]!;
      }
      for (; o < outputs; o++) a0 += delta[ro + o]! * params[w + o]!;
      next[xo + i] = a0 + a1 + (a2 + a3);
    }
  }
}
