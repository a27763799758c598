/**
 * One process of the three-stage pipeline, forked by `pipeline.ts` with an IPC channel:
 *
 *   node --import tsx bench/transport/stage-worker.ts '<StageConfig JSON>'
 *
 * It opens its own SDK transport, subscribes as its role, and says `ready`. The sink then answers each
 * `expect` with `expecting`, and with `done` once that many batches arrived (or `error`). `stop` closes the
 * transport (waiting for in-flight handlers) and exits.
 */
import type { Subscription } from '../../packages/core/src/index.js';
import type { Broker } from './args.js';
import { makeWorkload } from './batch-data.js';
import { openTransport } from './brokers.js';
import { Arrivals } from './hop.js';
import { startSink, startStage, type Role } from './stage.js';
import { errorMessage, serveParent } from './worker-process.js';

/** What the parent passes a stage process. */
export interface StageConfig {
  readonly broker: Exclude<Broker, 'memory'>;
  readonly role: Role;
  readonly prefix: string;
  readonly rows: number;
  readonly width: number;
  readonly prefetch: number;
  readonly timeoutMs: number;
}

/** Messages from the parent. */
export type ToStage = { readonly type: 'expect'; readonly messages: number } | { readonly type: 'stop' };

/** Messages to the parent. */
export type FromStage =
  { readonly type: 'ready' | 'expecting' | 'done' | 'stopped' } | { readonly type: 'error'; readonly message: string };

serveParent<ToStage, FromStage>(async (send) => {
  const config = JSON.parse(process.argv[2] ?? '') as StageConfig;
  const workload = makeWorkload(config.rows, config.width);
  const transport = await openTransport(config.broker, config.prefix);
  const arrivals = new Arrivals(config.timeoutMs);
  const subscription: Subscription =
    config.role === 'sink'
      ? await startSink(transport, workload, config.prefetch, arrivals)
      : await startStage(transport, config.role, workload, config.prefetch);
  return {
    handle(message) {
      if (message.type === 'expect') {
        arrivals.expect(message.messages).then(
          () => send({ type: 'done' }),
          (error: unknown) => send({ type: 'error', message: errorMessage(error) }),
        );
        send({ type: 'expecting' });
      }
    },
    async close() {
      await subscription.close();
      await transport.close();
    },
  };
});
