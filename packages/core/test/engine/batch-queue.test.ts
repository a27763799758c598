import { describe, expect, it } from 'vitest';
import { BatchQueue } from '../../src/engine/batch-queue.js';

const identity = <T>(task: () => Promise<T>): (() => Promise<T>) => task;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('BatchQueue', () => {
  it('starts a task at once, in the caller’s turn, while there is room', () => {
    const queue = new BatchQueue(2);
    const started: number[] = [];
    void queue.add(async () => started.push(1), identity);
    void queue.add(async () => started.push(2), identity);
    expect(started).toEqual([1, 2]);
  });

  it('runs at most `concurrency` tasks, the rest in FIFO order, and wraps only the ones that wait', async () => {
    const queue = new BatchQueue(1);
    const gates = [deferred(), deferred(), deferred()];
    const order: string[] = [];
    let wrapped = 0;
    const wrap = <T>(task: () => Promise<T>): (() => Promise<T>) => {
      wrapped++;
      return task;
    };
    const results = gates.map((gate, i) =>
      queue.add(async () => {
        order.push(`start ${i}`);
        await gate.promise;
        order.push(`end ${i}`);
        return i;
      }, wrap),
    );
    expect(queue.pending).toBe(1);
    expect(queue.size).toBe(2);
    expect(wrapped).toBe(2);
    gates[2]!.resolve();
    gates[1]!.resolve();
    await Promise.resolve();
    expect(order).toEqual(['start 0']);
    gates[0]!.resolve();
    expect(await Promise.all(results)).toEqual([0, 1, 2]);
    expect(order).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
    expect(queue.pending).toBe(0);
    expect(queue.size).toBe(0);
  });

  it('passes a rejection or a synchronous throw to its caller and goes on with the next task', async () => {
    const queue = new BatchQueue(1);
    const boom = queue.add(() => {
      throw new Error('sync');
    }, identity);
    const later = queue.add(async () => Promise.reject(new Error('async')), identity);
    const fine = queue.add(async () => 'ok', identity);
    await expect(boom).rejects.toThrow('sync');
    await expect(later).rejects.toThrow('async');
    await expect(fine).resolves.toBe('ok');
    await queue.onIdle();
  });

  it('resolves onIdle once nothing runs or waits, and onSizeLessThan once the queue has shrunk', async () => {
    const queue = new BatchQueue(1);
    await queue.onIdle();
    await queue.onSizeLessThan(1);
    const gate = deferred();
    const events: string[] = [];
    void queue.add(() => gate.promise, identity);
    void queue.add(async () => undefined, identity);
    void queue.add(async () => undefined, identity);
    const idle = queue.onIdle().then(() => events.push('idle'));
    const room = queue.onSizeLessThan(2).then(() => events.push('room'));
    await Promise.resolve();
    expect(events).toEqual([]);
    gate.resolve();
    await Promise.all([idle, room]);
    expect(events).toEqual(['room', 'idle']);
  });
});
