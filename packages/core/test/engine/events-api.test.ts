import { EventEmitter } from 'eventemitter3';
import { describe, expect, it } from 'vitest';
import { createEngine, type PolicyEvent } from '../../src/index.js';
import { GOOD_WEIGHTS, linearModel, WEAK_WEIGHTS } from './fixtures.js';

const newEngine = () =>
  createEngine({ proposer: linearModel('p', WEAK_WEIGHTS), critics: [linearModel('c', GOOD_WEIGHTS)] });

describe('engine events: on / once / off / subscribe, and no public emit', () => {
  it('subscribe returns the function that unsubscribes', async () => {
    const engine = newEngine();
    await engine.ready();
    const seen: number[] = [];
    const unsubscribe = engine.subscribe('policy', (event: PolicyEvent) => seen.push(event.after.dTarget));
    expect(engine.listenerCount('policy')).toBe(1);
    await engine.updatePolicy({ dTarget: 0.2 }, { who: 'ops' });
    unsubscribe();
    expect(engine.listenerCount('policy')).toBe(0);
    await engine.updatePolicy({ dTarget: 0.3 }, { who: 'ops' });
    expect(seen).toEqual([0.2]);
    // Unsubscribing twice is harmless.
    unsubscribe();
    await engine.stop();
  });

  it('on, once and off keep their listener signatures and chain', async () => {
    const engine = newEngine();
    await engine.ready();
    const calls: string[] = [];
    const always = (event: PolicyEvent): void => void calls.push(`on:${event.who}`);
    expect(engine.on('policy', always).once('policy', (event) => calls.push(`once:${event.who}`))).toBe(engine);
    await engine.updatePolicy({ dTarget: 0.2 }, { who: 'a' });
    await engine.updatePolicy({ dTarget: 0.25 }, { who: 'b' });
    engine.off('policy', always);
    await engine.updatePolicy({ dTarget: 0.3 }, { who: 'c' });
    expect(calls).toEqual(['on:a', 'once:a', 'on:b']);
    await engine.stop();
  });

  it('nobody outside the engine can emit on it', () => {
    const engine = newEngine();
    expect(engine).not.toBeInstanceOf(EventEmitter);
    expect('emit' in engine).toBe(false);
    expect(() => {
      // @ts-expect-error `emit` is not part of the engine's public API.
      engine.emit('promoted', { version: 'fake', previous: '1', reason: 'forged' });
    }).toThrow(TypeError);
    return engine.stop();
  });
});
