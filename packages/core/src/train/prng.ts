/** A seeded pseudo-random number generator: the same seed gives the same sequence on every platform. */
export interface Prng {
  /** Next 32-bit unsigned integer. */
  nextUint32(): number;
  /** Next float in [0, 1), 32 random bits. */
  next(): number;
  /** Next integer in [0, n) for a positive integer `n` ≤ 2³². */
  int(n: number): number;
  /** Next standard normal sample (Box–Muller, float64). */
  normal(): number;
  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [index: number]: unknown }>(items: T): T;
}

const TWO_32 = 4294967296;

/** One step of splitmix32: spreads a 32-bit state into a well-mixed 32-bit output. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * xoshiro128** seeded through splitmix32. Any finite number is a valid seed: its low and high 32 bits
 * (and its fractional part, for non-integers) feed the state, so nearby seeds give unrelated streams.
 * The integer stream (`nextUint32`, `next`, `int`, `shuffle`) is pure integer arithmetic, bit-identical in
 * every JavaScript engine; `normal` goes through `Math.log`, `Math.sin` and `Math.cos`, which all current
 * engines compute with the same fdlibm algorithms.
 */
export function createPrng(seed: number): Prng {
  const s = Number.isFinite(seed) ? seed : 0;
  const lo = s >>> 0;
  const hi = Math.floor(s / TWO_32) >>> 0;
  const frac = Math.floor((s - Math.floor(s)) * TWO_32) >>> 0;
  let a = splitmix32(lo ^ 0x243f6a88);
  let b = splitmix32(a ^ hi);
  let c = splitmix32(b ^ frac);
  let d = splitmix32(c ^ 0x85a308d3);
  if ((a | b | c | d) === 0) a = 1;
  let spare = Number.NaN;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const next = (): number => nextUint32() / TWO_32;
  const int = (n: number): number => Math.floor(next() * n);

  return {
    nextUint32,
    next,
    int,
    normal() {
      if (!Number.isNaN(spare)) {
        const value = spare;
        spare = Number.NaN;
        return value;
      }
      const u1 = 1 - next(); // (0, 1]: the logarithm stays finite
      const u2 = next();
      const radius = Math.sqrt(-2 * Math.log(u1));
      spare = radius * Math.sin(2 * Math.PI * u2);
      return radius * Math.cos(2 * Math.PI * u2);
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Derives an independent seed for a named sub-stream (init, shuffling…) from a base seed. */
export function deriveSeed(seed: number, stream: number): number {
  return splitmix32(createPrng(seed).nextUint32() ^ Math.imul(stream + 1, 0x9e3779b9));
}
