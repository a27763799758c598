/**
 * The Uplink in Chromium against the real HTTP server's feedback route (bearer JWT, idempotent by item id,
 * validated against the served model): offline periods, a page reload, a lost answer, the byte budget and
 * an item the server refuses. What reached the server is read through the `feedbackLog` command.
 */
import { commands } from 'vitest/browser';
import { afterEach, describe, expect, inject, it } from 'vitest';
import * as browser from '../src/index.js';
import { inFreshRealm } from './fresh-realm.js';

const { url, token } = inject('dissonanceServer');

/** `count` feedback items `prefix-0…`, 8 features each (the served model's width). */
function items(
  prefix: string,
  count: number,
  label = 3,
): Array<{ id: string; features: number[]; label: number; dissonance: number }> {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    features: Array.from({ length: 8 }, (_, j) => (i * 8 + j) / 10),
    label,
    dissonance: 0.5,
  }));
}

/** Polls `uplink` until nothing is pending (or 20 s pass). */
async function drained(uplink: browser.Uplink, ms = 20_000): Promise<number> {
  const deadline = Date.now() + ms;
  while ((await uplink.pending()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return uplink.pending();
}

describe('Uplink in Chromium', () => {
  afterEach(async () => {
    await commands.setServerReachable(true);
  });

  it('delivers every queued item exactly once across an offline period, a page reload and a lost answer', async () => {
    const dbName = `uplink-${Date.now()}`;
    const options = { url, token, dbName, maxBatchItems: 5 };
    const bodiesBefore = (await commands.feedbackLog()).bodies.length;
    await commands.setServerReachable(false);
    const uplink = await browser.Uplink.open({ ...options, minDissonance: 0.3 });
    const low = { id: 'low', features: [1], label: 1, dissonance: 0.1 };
    const added = await uplink.enqueue([...items('a', 12), low]);
    const again = await uplink.enqueue(items('a', 12).slice(0, 3));
    const flush = await uplink.flush();
    const offline = { added, again, stopped: flush.stopped, code: flush.error?.code, pending: await uplink.pending() };
    await uplink.close();
    expect(offline).toEqual({ added: 12, again: 0, stopped: 'error', code: 'E_TRANSPORT', pending: 12 });
    expect((await commands.feedbackLog()).bodies.length).toBe(bodiesBefore);

    // Back online, then a reload (a fresh document): the queue survives in IndexedDB.
    await commands.setServerReachable(true);
    await commands.dropFeedbackAnswers(1); // the first batch is processed but its answer is lost: it is sent again
    const delivered = await inFreshRealm(
      async (browser, { options, items }) => {
        const events: string[] = [];
        const uplink = await browser.Uplink.open({
          ...options,
          retry: { initialMs: 20, maxMs: 100 },
          onEvent: (e) => events.push(e.type),
        });
        const before = await uplink.pending();
        await uplink.enqueue(items);
        uplink.start();
        const deadline = Date.now() + 20_000;
        while ((await uplink.pending()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        const out = { before, pending: await uplink.pending(), stats: { ...uplink.stats }, events };
        await uplink.close();
        return out;
      },
      { options, items: [...items('b', 6), ...items('a', 2)] },
    );
    expect(delivered.before).toBe(12);
    expect(delivered.pending).toBe(0);
    const log = await commands.feedbackLog();
    const expected = [...items('a', 12), ...items('b', 6)].map((item) => item.id).sort();
    expect(Object.keys(log.accepted).sort()).toEqual(expected);
    // Stored as float32 by the server.
    expect(log.accepted['b-2']).toEqual({ features: items('b', 6)[2]!.features.map(Math.fround), label: 3 });
    // The re-sent batch (lost answer) reached the server twice but was accepted once; the rest exactly once.
    const twice = Object.entries(log.deliveries)
      .filter(([, n]) => n > 1)
      .map(([id]) => id);
    expect(twice.length).toBe(5);
    expect(delivered.stats.duplicates).toBe(5);
    expect(delivered.stats.accepted).toBe(18 - 5);
  });

  it('flushes as soon as the browser goes online again', async () => {
    const dbName = `uplink-online-${Date.now()}`;
    await commands.setServerReachable(false);
    const uplink = await browser.Uplink.open({ url, token, dbName, retry: { initialMs: 600_000, maxMs: 600_000 } });
    await uplink.enqueue(items('c', 4));
    uplink.start();
    await new Promise((r) => setTimeout(r, 200));
    expect((await commands.feedbackLog()).accepted['c-0']).toBeUndefined();
    // The server is reachable again and the browser says so ('online'; playwright's setOffline would also cut
    // vitest's own connection to this page, so the event is dispatched here).
    await commands.setServerReachable(true);
    window.dispatchEvent(new Event('online'));
    const pending = await drained(uplink, 10_000);
    await uplink.close();
    expect(pending).toBe(0);
    const { accepted } = await commands.feedbackLog();
    expect(['c-0', 'c-1', 'c-2', 'c-3'].every((id) => accepted[id] !== undefined)).toBe(true);
  });

  it('keeps every request within the byte budget and waits for it to refill', async () => {
    const dbName = `uplink-budget-${Date.now()}`;
    const sizesBefore = (await commands.feedbackLog()).bodies.length;
    const uplink = await browser.Uplink.open({ url, token, dbName, byteBudget: { bytes: 400, perMs: 200 } });
    await uplink.enqueue(items('d', 20));
    const first = await uplink.flush();
    uplink.start();
    const result = {
      first: { stopped: first.stopped, sent: first.sent, waits: (first.retryInMs ?? 0) > 0 },
      pending: await drained(uplink),
      bytes: uplink.stats.bytes,
    };
    const tooBig = await uplink
      .enqueue([{ id: 'big', features: Array.from({ length: 200 }, () => 1.2345), label: 1 }])
      .then(
        () => 'queued',
        (error: { code?: string }) => error.code,
      );
    await uplink.close();
    const sizes = (await commands.feedbackLog()).bodies.slice(sizesBefore);
    expect(result.first.stopped).toBe('budget');
    expect(result.first.waits).toBe(true);
    expect(result.first.sent).toBeGreaterThan(0);
    expect(result.first.sent).toBeLessThan(20);
    expect(result.pending).toBe(0);
    expect(tooBig).toBe('E_INPUT');
    expect(sizes.every((size) => size <= 400)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(result.bytes);
  });

  it('sets aside an item the server refuses as invalid and delivers the rest', async () => {
    const dbName = `uplink-invalid-${Date.now()}`;
    const uplink = await browser.Uplink.open({ url, token, dbName });
    // Label 12: the served model has 10 classes, so the server refuses it (400 E_INPUT).
    await uplink.enqueue([...items('e', 3), ...items('bad', 1, 12), ...items('f', 3)]);
    const flush = await uplink.flush();
    const result = {
      flush: { sent: flush.sent, pending: flush.pending },
      rejected: (await uplink.rejected()).map((r) => r.item.id),
      stats: uplink.stats.rejected,
    };
    await uplink.close();
    expect(result).toEqual({ flush: { sent: 6, pending: 0 }, rejected: ['bad-0'], stats: 1 });
    const { accepted } = await commands.feedbackLog();
    expect(accepted['bad-0']).toBeUndefined();
    expect(['e-0', 'e-2', 'f-0', 'f-2'].every((id) => accepted[id] !== undefined)).toBe(true);
  });
});
