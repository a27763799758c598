import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DISRUPTION_LOCKS, exclusiveLock } from '../../../../test/support/exclusive-lock.js';
import { FileStore } from '@dissonance/node';
import { runDistributedDemo, type DistributedDemoResult } from '../../src/demo/distributed/run-distributed.js';
import { CRASH_AFTER_STORE_ENV } from '../../src/demo/distributed/stage-main.js';
import type { BrokerKind } from '../../src/demo/distributed/broker.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
// The CLI from source, as `npm run demo` starts it; its stages load the built adapter packages.
const COMMAND = [process.execPath, '--import', 'tsx', resolve(ROOT, 'packages/cli/src/cli.ts')];
const dirs: string[] = [];

async function runDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dissonance-distributed-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/**
 * Runs `body` while no other test disrupts the broker (the adapters' fault tests drop every RabbitMQ connection
 * or restart nats-server): a dropped connection mid-run would redeliver to the stateful detect stage and change
 * the decisions this test compares.
 */
async function undisturbed<T>(broker: BrokerKind, body: () => Promise<T>): Promise<T> {
  const name = broker === 'amqp' ? DISRUPTION_LOCKS.rabbitmq : broker === 'nats' ? DISRUPTION_LOCKS.nats : undefined;
  const release = name === undefined ? () => undefined : await exclusiveLock(name);
  try {
    return await body();
  } finally {
    release();
  }
}

/** Ids of the examples the retrain stage's replay buffer holds, and how many examples it holds. */
async function storedIds(dir: string): Promise<{ ids: string[]; count: number }> {
  const store = await FileStore.open({ dir: join(dir, 'store') });
  try {
    const examples = await store.examples();
    return { ids: examples.map((e) => e.id), count: await store.countExamples() };
  } finally {
    await store.close();
  }
}

function report(result: DistributedDemoResult): string {
  const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
  return (
    `${result.broker}: ${result.items} items, ${result.batches} batches, ${result.itemsPerSecond.toFixed(0)} items/s, ` +
    `final ${pct(result.final)} vs in-process ${pct(result.inProcessFinal)}, restarts ${JSON.stringify(result.restarts)}`
  );
}

describe.each<BrokerKind>(['amqp', 'nats', 'redis'])('distributed demo over %s (3 worker processes)', (broker) => {
  it(
    "processes the whole demo stream and reaches the in-process demo's golden accuracy, candidate by candidate",
    { timeout: 300_000 },
    async () => {
      const dir = await runDir();
      const result = await undisturbed(broker, () => runDistributedDemo({ broker, dir, command: COMMAND, seed: 1 }));
      console.log(report(result));
      expect(result.retrains.length).toBeGreaterThan(0);
      expect(result.retrains.map((r) => r.goldenAccuracy)).toEqual(result.inProcessRetrainAccuracy);
      expect(result.final).toBe(result.inProcessFinal);
      expect(result.final).toBeGreaterThan(result.seedOnly);
      const { ids, count } = await storedIds(dir);
      expect(new Set(ids).size).toBe(count);
    },
  );
});

describe('a stage worker killed with SIGKILL mid-run', () => {
  it.each<BrokerKind>(['amqp', 'nats', 'redis'])(
    "over %s: after the restart every item's effect happens exactly once and the result is unchanged",
    { timeout: 300_000 },
    async (broker) => {
      const dir = await runDir();
      let killedGenerate = false;
      const result = await undisturbed(broker, () =>
        runDistributedDemo({
          broker,
          dir,
          command: COMMAND,
          seed: 1,
          // The retrain stage dies right after storing batch 9's examples, before its ack: the broker redelivers.
          stageEnv: { [CRASH_AFTER_STORE_ENV]: '9' },
          onProgress: (progress, stages) => {
            // The generate stage is killed from outside between batches 20 and 21.
            if (progress.meta['seq'] === 20 && !killedGenerate) {
              killedGenerate = true;
              stages.find((s) => s.stage === 'generate')?.kill();
            }
          },
        }),
      );
      console.log(report(result));
      expect(result.restarts['retrain']).toBe(1);
      expect(result.restarts['generate']).toBe(1);
      const { ids, count } = await storedIds(dir);
      // Exactly once: every example id once, and the same examples as the run in one process made.
      expect(new Set(ids).size).toBe(count);
      const clean = await storedIds(join(dir, 'in-process'));
      expect(new Set(ids)).toEqual(new Set(clean.ids));
      // The restarted stage trains the same candidates (its critics' fit count restored from the store).
      expect(result.retrains.map((r) => r.goldenAccuracy)).toEqual(result.inProcessRetrainAccuracy);
      expect(result.final).toBe(result.inProcessFinal);
    },
  );
});
