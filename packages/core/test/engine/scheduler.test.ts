import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/manual-clock.js';
import { Scheduler } from '../../src/engine/scheduler.js';
import { createEngine } from '../../src/index.js';
import { GOOD_WEIGHTS, linearModel, linearTrainer, WEAK_WEIGHTS } from './fixtures.js';

describe('Scheduler', () => {
  it('runs a timer once on the clock, one per name, replacing a pending one', () => {
    const clock = new ManualClock();
    const timers = new Scheduler<'a' | 'b'>(clock);
    const fired: string[] = [];
    timers.set('a', 10, () => fired.push('a1'));
    timers.set('a', 20, () => fired.push('a2'));
    timers.set('b', 5, () => fired.push('b'));
    expect(timers.has('a')).toBe(true);
    expect(clock.pendingTimers).toBe(2);
    clock.advance(15);
    expect(fired).toEqual(['b']);
    clock.advance(10);
    expect(fired).toEqual(['b', 'a2']);
    expect(timers.pending).toBe(false);
  });

  it('a callback may schedule its own name again (a repeating timer)', () => {
    const clock = new ManualClock();
    const timers = new Scheduler<'tick'>(clock);
    let ticks = 0;
    const tick = (): void => {
      ticks++;
      timers.set('tick', 10, tick);
    };
    timers.set('tick', 10, tick);
    clock.advance(35);
    expect(ticks).toBe(3);
    expect(timers.has('tick')).toBe(true);
  });

  it('clear cancels one timer; close cancels all and refuses new ones', () => {
    const clock = new ManualClock();
    const timers = new Scheduler<'a' | 'b'>(clock);
    const fired: string[] = [];
    timers.set('a', 10, () => fired.push('a'));
    timers.set('b', 10, () => fired.push('b'));
    timers.clear('a');
    expect(timers.has('a')).toBe(false);
    timers.close();
    expect(timers.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    timers.set('a', 1, () => fired.push('late'));
    clock.advance(100);
    expect(fired).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("the engine's timers all run on its clock and are gone after stop()", async () => {
    const clock = new ManualClock(1_000);
    const engine = createEngine({
      proposer: linearModel('p', WEAK_WEIGHTS),
      critics: [linearModel('c', GOOD_WEIGHTS)],
      trainer: linearTrainer(),
      clock,
      retrain: { everyMs: 60_000 },
      championRefreshMs: 5_000,
    });
    await engine.ready();
    // The retrain interval and the champion refresh.
    expect(clock.pendingTimers).toBe(2);
    await engine.stop();
    expect(clock.pendingTimers).toBe(0);
  });
});
