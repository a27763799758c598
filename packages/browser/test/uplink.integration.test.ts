import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageApi } from './browser/harness.js';
import { openHarness, type Harness } from './browser/open-harness.js';
import type { TestServer } from './browser/test-server.js';

declare const dissonance: PageApi;

/** `count` feedback items `prefix-0…`, 8 features each. */
function items(prefix: string, count: number, label = 3): Array<{ id: string; features: number[]; label: number; dissonance: number }> {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, features: Array.from({ length: 8 }, (_, j) => (i * 8 + j) / 10), label, dissonance: 0.5 }));
}

describe('Uplink in Chromium', () => {
  let harness: Harness;
  let server: TestServer;
  let page: Page;

  beforeAll(async () => {
    harness = await openHarness();
    ({ server, page } = harness);
  });

  afterAll(async () => {
    expect(harness?.pageErrors ?? []).toEqual([]);
    await harness?.close();
  });

  it('delivers every queued item exactly once across an offline period, a page reload and a lost answer', async () => {
    const dbName = `uplink-${Date.now()}`;
    const options = { url: server.url, token: server.token, dbName, maxBatchItems: 5 };
    await harness.context.setOffline(true);
    const offline = await page.evaluate(
      async ({ options, items }) => {
        const uplink = await dissonance.browser.Uplink.open({ ...options, minDissonance: 0.3 });
        const low = { id: 'low', features: [1], label: 1, dissonance: 0.1 };
        const added = await uplink.enqueue([...items, low]);
        const again = await uplink.enqueue(items.slice(0, 3));
        const flush = await uplink.flush();
        const out = { added, again, stopped: flush.stopped, code: flush.error?.code, pending: await uplink.pending() };
        await uplink.close();
        return out;
      },
      { options, items: items('a', 12) },
    );
    expect(offline).toEqual({ added: 12, again: 0, stopped: 'error', code: 'E_TRANSPORT', pending: 12 });
    expect(server.feedback.bodies).toEqual([]);

    // Back online, then a reload: the queue survives in IndexedDB.
    await harness.context.setOffline(false);
    await harness.reload();
    server.dropAnswers = 1; // the first batch is processed but its answer is lost: it is sent again
    const delivered = await page.evaluate(
      async ({ options, items }) => {
        const events: string[] = [];
        const uplink = await dissonance.browser.Uplink.open({ ...options, retry: { initialMs: 20, maxMs: 100 }, onEvent: (e) => events.push(e.type) });
        const before = await uplink.pending();
        await uplink.enqueue(items);
        uplink.start();
        const deadline = Date.now() + 20_000;
        while ((await uplink.pending()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        const out = { before, pending: await uplink.pending(), stats: uplink.stats, events };
        await uplink.close();
        return out;
      },
      { options, items: [...items('b', 6), ...items('a', 2)] },
    );
    expect(delivered.before).toBe(12);
    expect(delivered.pending).toBe(0);
    const expected = [...items('a', 12), ...items('b', 6)].map((item) => item.id).sort();
    expect([...server.feedback.accepted.keys()].sort()).toEqual(expected);
    expect(server.feedback.accepted.get('b-2')).toEqual({ features: items('b', 6)[2]!.features, label: 3 });
    // The re-sent batch (lost answer) reached the server twice but was accepted once; the rest exactly once.
    const twice = [...server.feedback.deliveries].filter(([, n]) => n > 1).map(([id]) => id);
    expect(twice.length).toBe(5);
    expect(delivered.stats.duplicates).toBe(5);
    expect(delivered.stats.accepted).toBe(18 - 5);
  });

  it('flushes as soon as the browser goes online again', async () => {
    const dbName = `uplink-online-${Date.now()}`;
    await harness.context.setOffline(true);
    await page.evaluate(
      async ({ options, items }) => {
        const uplink = await dissonance.browser.Uplink.open({ ...options, retry: { initialMs: 600_000, maxMs: 600_000 } });
        await uplink.enqueue(items);
        uplink.start();
        (globalThis as { uplink?: unknown }).uplink = uplink;
      },
      { options: { url: server.url, token: server.token, dbName }, items: items('c', 4) },
    );
    await page.waitForTimeout(200);
    expect(server.feedback.accepted.has('c-0')).toBe(false);
    await harness.context.setOffline(false);
    const pending = await page.evaluate(async () => {
      const uplink = (globalThis as unknown as { uplink: Awaited<ReturnType<PageApi['browser']['Uplink']['open']>> }).uplink;
      const deadline = Date.now() + 10_000;
      while ((await uplink.pending()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const left = await uplink.pending();
      await uplink.close();
      return left;
    });
    expect(pending).toBe(0);
    expect(['c-0', 'c-1', 'c-2', 'c-3'].every((id) => server.feedback.accepted.has(id))).toBe(true);
  });

  it('keeps every request within the byte budget and waits for it to refill', async () => {
    const dbName = `uplink-budget-${Date.now()}`;
    const sizesBefore = server.feedback.bodies.length;
    const result = await page.evaluate(
      async ({ options, items }) => {
        const uplink = await dissonance.browser.Uplink.open({ ...options, byteBudget: { bytes: 400, perMs: 200 } });
        await uplink.enqueue(items);
        const first = await uplink.flush();
        uplink.start();
        const deadline = Date.now() + 20_000;
        while ((await uplink.pending()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        const out = { first: { stopped: first.stopped, sent: first.sent, waits: (first.retryInMs ?? 0) > 0 }, pending: await uplink.pending(), bytes: uplink.stats.bytes };
        const tooBig = await uplink.enqueue([{ id: 'big', features: Array.from({ length: 200 }, () => 1.2345), label: 1 }]).then(
          () => 'queued',
          (error: { code?: string }) => error.code,
        );
        await uplink.close();
        return { ...out, tooBig };
      },
      { options: { url: server.url, token: server.token, dbName }, items: items('d', 20) },
    );
    const sizes = server.feedback.bodies.slice(sizesBefore);
    expect(result.first.stopped).toBe('budget');
    expect(result.first.waits).toBe(true);
    expect(result.first.sent).toBeGreaterThan(0);
    expect(result.first.sent).toBeLessThan(20);
    expect(result.pending).toBe(0);
    expect(result.tooBig).toBe('E_INPUT');
    expect(sizes.every((size) => size <= 400)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(result.bytes);
  });

  it('sets aside an item the server refuses as invalid and delivers the rest', async () => {
    const dbName = `uplink-invalid-${Date.now()}`;
    const result = await page.evaluate(
      async ({ options, items }) => {
        const uplink = await dissonance.browser.Uplink.open(options);
        await uplink.enqueue(items);
        const flush = await uplink.flush();
        const out = { flush: { sent: flush.sent, pending: flush.pending }, rejected: (await uplink.rejected()).map((r) => r.item.id), stats: uplink.stats.rejected };
        await uplink.close();
        return out;
      },
      { options: { url: server.url, token: server.token, dbName }, items: [...items('e', 3), ...items('bad', 1, 12), ...items('f', 3)] },
    );
    expect(result).toEqual({ flush: { sent: 6, pending: 0 }, rejected: ['bad-0'], stats: 1 });
    expect(server.feedback.accepted.has('bad-0')).toBe(false);
    expect(['e-0', 'e-2', 'f-0', 'f-2'].every((id) => server.feedback.accepted.has(id))).toBe(true);
  });
});
