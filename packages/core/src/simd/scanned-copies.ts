import { anyNonFiniteJs, kernelsModule } from './non-finite.js';

/** Below this many values a copy is scanned in JavaScript (as fast as the kernel's call). */
const KERNEL_FROM = 512;
const PAGE_BYTES = 65536;

/** One kernel instance whose own memory holds one copy. */
interface Slot {
  readonly memory: WebAssembly.Memory;
  readonly nonFinite: (byteOffset: number, count: number) => number;
  view: Float32Array;
}

/**
 * Copies of batches' features, each checked for NaN and ±Infinity as it is made. A large copy lives in the memory
 * of its own instance of the WebAssembly SIMD kernel, so the kernel scans it where it lies: one copy and one
 * pass, where copying and then scanning in chunks through the kernel's scratch copies everything twice. Copies
 * go back with {@link ScannedCopies.give} once nothing reads them (a copy never given back is collected). Where
 * WebAssembly SIMD is missing, and for small copies, plain arrays and a JavaScript scan answer alike.
 */
export class ScannedCopies {
  readonly #free: Slot[] = [];
  readonly #slots = new WeakMap<ArrayBufferLike, Slot>();
  readonly #small: Float32Array[] = [];
  readonly #max: number;

  /** @param max most copies of each kind kept for reuse. */
  constructor(max = 4) {
    this.#max = max;
  }

  /** A copy of `source` and whether any of its values is NaN or ±Infinity. */
  copy(source: Float32Array): { readonly copy: Float32Array; readonly nonFinite: boolean } {
    const n = source.length;
    const module = n >= KERNEL_FROM ? kernelsModule() : null;
    if (module === null) {
      const copy = this.#takeSmall(n);
      copy.set(source);
      return { copy, nonFinite: anyNonFiniteJs(copy) };
    }
    const slot = this.#free.pop() ?? this.#slot(module);
    const bytes = n * 4;
    if (slot.memory.buffer.byteLength < bytes) {
      // The slot is free, so nothing holds its old view: growing may detach it.
      this.#slots.delete(slot.memory.buffer);
      slot.memory.grow(Math.ceil((bytes - slot.memory.buffer.byteLength) / PAGE_BYTES));
      slot.view = new Float32Array(slot.memory.buffer);
      this.#slots.set(slot.memory.buffer, slot);
    }
    const copy = n === slot.view.length ? slot.view : slot.view.subarray(0, n);
    copy.set(source);
    return { copy, nonFinite: slot.nonFinite(0, n) !== 0 };
  }

  /** Gives back a copy made by {@link copy}: its contents may be overwritten from now on. */
  give(copy: Float32Array): void {
    const slot = this.#slots.get(copy.buffer);
    if (slot !== undefined) {
      if (this.#free.length < this.#max && !this.#free.includes(slot)) this.#free.push(slot);
      return;
    }
    if (this.#small.length >= this.#max) this.#small.shift();
    this.#small.push(copy);
  }

  #slot(module: WebAssembly.Module): Slot {
    const exports = new WebAssembly.Instance(module, {}).exports as {
      readonly memory: WebAssembly.Memory;
      readonly nonFinite: (byteOffset: number, count: number) => number;
    };
    const slot: Slot = {
      memory: exports.memory,
      nonFinite: exports.nonFinite,
      view: new Float32Array(exports.memory.buffer),
    };
    this.#slots.set(exports.memory.buffer, slot);
    return slot;
  }

  #takeSmall(length: number): Float32Array {
    const free = this.#small;
    for (let i = free.length - 1; i >= 0; i--) {
      const array = free[i]!;
      if (array.length !== length) continue;
      free[i] = free[free.length - 1]!;
      free.pop();
      return array;
    }
    return new Float32Array(length);
  }
}
