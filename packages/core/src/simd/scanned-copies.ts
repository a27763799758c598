import { anyNonFinite, anyNonFiniteJs, KERNEL_FROM, newKernelInstance, type KernelInstance } from './non-finite.js';

const PAGE_BYTES = 65536;
/** Copies that can live in the kernel's memory at once; more at a time take the plain path. */
const REGIONS = 4;

/** This pool's instance of the kernel: one memory of {@link REGIONS} regions of `capacity` values each. */
interface Kernel extends Pick<KernelInstance, 'memory' | 'nonFinite'> {
  /** Values per region. */
  capacity: number;
  view: Float32Array;
  /** Regions not in use. */
  readonly free: number[];
}

/**
 * Copies of batches' features, each checked for NaN and ±Infinity as it is made. A large copy goes into a region
 * of the memory of this pool's own instance of the WebAssembly SIMD kernel, so the kernel scans it where it lies:
 * one copy and one pass, where copying and then scanning in chunks through a scratch memory copies everything
 * twice. Up to four copies live there at once; the memory grows only while none is in use (growing detaches
 * every view of it). Small copies, copies beyond those four or larger than the regions while one is in use, and
 * every copy where WebAssembly SIMD is missing or its memory cannot be had, take the plain path: an array from a
 * small pool, scanned afterwards. Both paths give the same answer. Copies go back with {@link ScannedCopies.give}
 * once nothing reads them (a copy never given back keeps its region until the pool is dropped).
 */
export class ScannedCopies {
  /** Undefined until the first large copy; null when the kernel's memory is unavailable. */
  #kernel: Kernel | null | undefined;
  readonly #plain: Float32Array[] = [];
  readonly #max: number;

  /** @param max most plain arrays kept for reuse. */
  constructor(max = 4) {
    this.#max = max;
  }

  /** A copy of `source` and whether any of its values is NaN or ±Infinity. */
  copy(source: Float32Array): { readonly copy: Float32Array; readonly nonFinite: boolean } {
    const n = source.length;
    const kernel = n >= KERNEL_FROM ? this.#loadKernel() : null;
    const region = kernel === null ? undefined : this.#region(kernel, n);
    if (kernel === null || region === undefined) {
      const copy = this.#takePlain(n);
      copy.set(source);
      return { copy, nonFinite: n >= KERNEL_FROM ? anyNonFinite(copy) : anyNonFiniteJs(copy) };
    }
    const start = region * kernel.capacity;
    const copy = kernel.view.subarray(start, start + n);
    copy.set(source);
    return { copy, nonFinite: kernel.nonFinite(start * 4, n) !== 0 };
  }

  /** Gives back a copy made by {@link copy}: its contents may be overwritten from now on. */
  give(copy: Float32Array): void {
    const kernel = this.#kernel;
    if (kernel !== undefined && kernel !== null && copy.buffer === kernel.memory.buffer) {
      const region = Math.floor(copy.byteOffset / 4 / kernel.capacity);
      if (!kernel.free.includes(region)) kernel.free.push(region);
      return;
    }
    if (copy.buffer instanceof ArrayBuffer && copy.byteOffset === 0 && copy.length * 4 === copy.buffer.byteLength) {
      if (this.#plain.length >= this.#max) this.#plain.shift();
      this.#plain.push(copy);
    }
  }

  /** A free region for `n` values (growing the memory when none is in use), else undefined. */
  #region(kernel: Kernel, n: number): number | undefined {
    if (n > kernel.capacity) {
      if (kernel.free.length < REGIONS) return undefined;
      const bytes = REGIONS * n * 4;
      try {
        kernel.memory.grow(Math.ceil((bytes - kernel.memory.buffer.byteLength) / PAGE_BYTES));
      } catch {
        return undefined;
      }
      kernel.view = new Float32Array(kernel.memory.buffer);
      kernel.capacity = Math.floor(kernel.view.length / REGIONS);
    }
    return kernel.free.pop();
  }

  #loadKernel(): Kernel | null {
    if (this.#kernel !== undefined) return this.#kernel;
    const instance = newKernelInstance();
    if (instance === null) return (this.#kernel = null);
    const view = new Float32Array(instance.memory.buffer);
    this.#kernel = {
      memory: instance.memory,
      nonFinite: instance.nonFinite,
      capacity: Math.floor(view.length / REGIONS),
      view,
      free: Array.from({ length: REGIONS }, (_, i) => REGIONS - 1 - i),
    };
    return this.#kernel;
  }

  #takePlain(length: number): Float32Array {
    const free = this.#plain;
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
