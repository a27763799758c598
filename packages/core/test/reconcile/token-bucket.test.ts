import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/manual-clock.js';
import { TokenBucket } from '../../src/reconcile/index.js';
import { thrown } from './fixtures.js';

const HOUR = 3_600_000;

describe('TokenBucket', () => {
  it('starts full with capacity = tokens per hour', () => {
    const clock = new ManualClock(1000);
    const bucket = new TokenBucket(10, clock);
    expect(bucket.perHour).toBe(10);
    expect(bucket.available()).toBe(10);
    for (let i = 0; i < 10; i++) expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.available()).toBe(0);
  });

  it('refills continuously and never above capacity', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(10, clock);
    for (let i = 0; i < 10; i++) bucket.tryTake(0);
    expect(bucket.available(HOUR / 20)).toBeCloseTo(0.5, 10);
    expect(bucket.available(HOUR / 10)).toBeCloseTo(1, 10);
    expect(bucket.available(5 * HOUR)).toBe(10);
  });

  it('says when the next token comes, and it is there then', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(100, clock);
    expect(bucket.nextTokenAt(0)).toBe(0);
    for (let i = 0; i < 100; i++) bucket.tryTake(0);
    const at = bucket.nextTokenAt(0);
    expect(at).toBe(HOUR / 100);
    expect(bucket.tryTake(at - 1)).toBe(false);
    expect(bucket.tryTake(at)).toBe(true);
  });

  it('ignores time going backwards', () => {
    const bucket = new TokenBucket(1, new ManualClock(HOUR));
    expect(bucket.tryTake(HOUR)).toBe(true);
    expect(bucket.tryTake(0)).toBe(false);
    expect(bucket.nextTokenAt(0)).toBe(2 * HOUR);
  });

  it('keeps the fill fraction when the rate changes', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(100, clock);
    for (let i = 0; i < 50; i++) bucket.tryTake(0);
    bucket.setRate(10, 0);
    expect(bucket.perHour).toBe(10);
    expect(bucket.available(0)).toBeCloseTo(5, 10);
    bucket.setRate(1000, 0);
    expect(bucket.available(0)).toBeCloseTo(500, 10);
    expect(bucket.nextTokenAt(0)).toBe(0);
  });

  it('refills at the old rate up to the change', () => {
    const bucket = new TokenBucket(10, new ManualClock());
    for (let i = 0; i < 10; i++) bucket.tryTake(0);
    bucket.setRate(20, HOUR / 10); // one token dripped in at 10/h: 10% full
    expect(bucket.available(HOUR / 10)).toBeCloseTo(2, 10);
  });

  it('holds at least one token when the rate is below 1/h', () => {
    const bucket = new TokenBucket(0.5, new ManualClock());
    expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.tryTake(0)).toBe(false);
    expect(bucket.nextTokenAt(0)).toBe(2 * HOUR);
    expect(bucket.tryTake(2 * HOUR)).toBe(true);
  });

  it('rejects a bad rate', () => {
    const clock = new ManualClock();
    expect(thrown(() => new TokenBucket(0, clock)).code).toBe('E_POLICY');
    expect(thrown(() => new TokenBucket(Number.POSITIVE_INFINITY, clock)).code).toBe('E_POLICY');
    expect(thrown(() => new TokenBucket(5, clock).setRate(-1)).code).toBe('E_POLICY');
  });

  it('always has a token at nextTokenAt, for any rate (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1e6, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: HOUR }),
        (perHour, takes, start) => {
          const bucket = new TokenBucket(perHour, new ManualClock(start));
          let now = start;
          for (let i = 0; i < takes; i++) {
            if (!bucket.tryTake(now)) {
              const at = bucket.nextTokenAt(now);
              expect(at).toBeGreaterThan(now);
              now = at;
              expect(bucket.tryTake(now)).toBe(true);
            }
          }
        },
      ),
    );
  });
});

describe('TokenBucket.tryTakeMany', () => {
  it('takes what as many tryTake calls at the same time would, and leaves the same fill', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 2_000_000_000 }), fc.double({ min: 0.01, max: 1e9, noNaN: true })),
        fc.array(fc.tuple(fc.nat({ max: 5000 }), fc.nat({ max: 120_000 })), { minLength: 1, maxLength: 20 }),
        (perHour, steps) => {
          const clockA = new ManualClock(0);
          const clockB = new ManualClock(0);
          const many = new TokenBucket(perHour, clockA);
          const one = new TokenBucket(perHour, clockB);
          for (const [count, advance] of steps) {
            clockA.advance(advance);
            clockB.advance(advance);
            let taken = 0;
            for (let i = 0; i < count; i++) if (one.tryTake()) taken++;
            expect(many.tryTakeMany(count)).toBe(taken);
            expect(many.available()).toBe(one.available());
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('takes a whole bucket at once and nothing from an empty one', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket(1_000_000_000, clock);
    expect(bucket.tryTakeMany(1024)).toBe(1024);
    expect(bucket.available()).toBe(1_000_000_000 - 1024);
    const small = new TokenBucket(3, clock);
    expect(small.tryTakeMany(10)).toBe(3);
    expect(small.tryTakeMany(10)).toBe(0);
    clock.advance(HOUR / 3);
    expect(small.tryTakeMany(10)).toBe(1);
  });
});
