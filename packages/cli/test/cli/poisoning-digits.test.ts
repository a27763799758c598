import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServeEngine } from '../../src/cli/serve-engine.js';
import { loadDataset } from '../../src/demo/load-dataset.js';
import { serve } from '@dissonance/server';
import { AUDIENCE, createSigner, ISSUER, type Signer } from '../../../server/test/http/fixtures.js';

/** Lenient validation in both runs, so that only the guard stands between the flips and the champion. */
const POLICY = { klEps: 10, maxGoldenDrop: 1, maxDissonance: 2, dBudgetPerHour: 1e9 };
/** Classes whose every feedback item is relabelled `(label + 5) mod 10`: about 30 % of the items. */
const TARGETED = new Set([0, 1, 2]);

interface Run {
  readonly before: number;
  readonly after: number;
  readonly accepted: number;
  readonly quarantined: number;
  readonly flipped: number;
  readonly items: number;
}

async function runPoisoning(guardOn: boolean, signer: Signer, root: string): Promise<Run> {
  const data = loadDataset('digits');
  const serving = await createServeEngine({
    dataset: 'digits',
    data,
    dir: join(root, guardOn ? 'guard-on' : 'guard-off'),
    policy: POLICY,
    guard: guardOn ? { untrustedItemsPerHour: 1e6 } : false,
  });
  const server = await serve({
    engine: serving.engine,
    auth: { issuer: ISSUER, audience: AUDIENCE, key: signer.publicKey },
    ...(serving.guard === undefined ? {} : { guard: serving.guard }),
    retrainEvery: 0,
    rateLimit: false,
    port: 0,
  });
  try {
    const token = await signer.sign({ sub: 'anonymous-browser', scope: 'feedback' });
    const { stream, width } = { stream: serving.models.stream, width: serving.models.width };
    const accuracy = async (): Promise<number> =>
      (await serving.engine.registry.get(serving.engine.modelName, serving.engine.championVersion)).metrics[
        'golden_accuracy'
      ]!;
    const before = await accuracy();
    let accepted = 0;
    let quarantined = 0;
    let flipped = 0;
    for (let start = 0; start < stream.rows; start += 100) {
      const items = [];
      for (let r = start; r < Math.min(stream.rows, start + 100); r++) {
        const truth = stream.labels[r]!;
        const label = TARGETED.has(truth) ? (truth + 5) % 10 : truth;
        if (label !== truth) flipped++;
        items.push({ id: stream.ids[r]!, features: Array.from(stream.x.subarray(r * width, (r + 1) * width)), label });
      }
      const response = await fetch(`${server.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ items }),
      });
      expect(response.status).toBe(200);
      const outcome = (await response.json()) as { accepted: number; quarantined: number };
      accepted += outcome.accepted;
      quarantined += outcome.quarantined;
    }
    await serving.engine.retrainNow();
    return { before, after: await accuracy(), accepted, quarantined, flipped, items: stream.rows };
  } finally {
    await server.close();
    await serving.close();
  }
}

describe('poisoning guard on digits over HTTP', () => {
  let signer: Signer;
  let root: string;
  beforeAll(async () => {
    signer = await createSigner();
    root = mkdtempSync(join(tmpdir(), 'dissonance-poison-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('30 % flipped labels from an untrusted principal: ≤ 1 point lost with the guard, more without', async () => {
    const on = await runPoisoning(true, signer, root);
    const off = await runPoisoning(false, signer, root);
    const pct = (v: number): string => `${(v * 100).toFixed(2)}%`.padStart(7);
    console.log(
      [
        `poisoning (digits, ${on.items} feedback items, ${on.flipped} = ${((on.flipped / on.items) * 100).toFixed(1)}% relabelled (classes 0-2 → +5), validation lenient in both runs)`,
        `                 guard on   guard off`,
        `champion before  ${pct(on.before)}    ${pct(off.before)}`,
        `champion after   ${pct(on.after)}    ${pct(off.after)}`,
        `change (points)  ${((on.after - on.before) * 100).toFixed(2).padStart(7)}    ${((off.after - off.before) * 100).toFixed(2).padStart(7)}`,
        `accepted         ${String(on.accepted).padStart(7)}    ${String(off.accepted).padStart(7)}`,
        `quarantined      ${String(on.quarantined).padStart(7)}    ${String(off.quarantined).padStart(7)}`,
      ].join('\n'),
    );
    expect(on.flipped / on.items).toBeGreaterThan(0.25);
    expect(on.flipped / on.items).toBeLessThan(0.35);
    expect(on.before).toBe(off.before);
    expect(on.before - on.after).toBeLessThanOrEqual(0.01);
    expect(off.before - off.after).toBeGreaterThan(0.01);
    expect(on.quarantined).toBeGreaterThan(0);
    expect(off.quarantined).toBe(0);
  }, 240_000);
});
