/** A first-in first-out queue with O(1) amortized `shift`, for message backlogs that may grow large. */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  /** Number of items held. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds an item at the back. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Removes and returns the front item, `undefined` when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#head++;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns every item, front first. */
  drain(): T[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return items;
  }
}
