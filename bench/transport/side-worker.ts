/**
 * One side of the transport bench's hop in a process of its own, forked by `sides.ts` with an IPC channel:
 *
 *   node --import tsx bench/transport/side-worker.ts '<SideConfig JSON>'
 *
 * It opens the side (`openSide`) and says `ready`; each `run` runs that many messages through it and answers
 * `ran` (or `error`); `stop` closes it and exits.
 */
import type { Broker } from './args.js';
import { makeWorkload } from './batch-data.js';
import type { Hop } from './hop.js';
import { openSide, type Side } from './sides.js';
import { errorMessage, serveParent } from './worker-process.js';

/** What the parent passes a side process. */
export interface SideConfig {
  readonly broker: Exclude<Broker, 'memory'>;
  readonly side: Side;
  readonly prefix: string;
  readonly rows: number;
  readonly width: number;
  readonly prefetch: number;
  readonly window: number;
  readonly timeoutMs: number;
}

/** Messages from the parent. */
export type ToSide = { readonly type: 'run'; readonly messages: number } | { readonly type: 'stop' };

/** Messages to the parent. */
export type FromSide =
  { readonly type: 'ready' | 'ran' | 'stopped' } | { readonly type: 'error'; readonly message: string };

serveParent<ToSide, FromSide>(async (send) => {
  const config = JSON.parse(process.argv[2] ?? '') as SideConfig;
  const settings = {
    workload: makeWorkload(config.rows, config.width),
    prefetch: config.prefetch,
    window: config.window,
    timeoutMs: config.timeoutMs,
  };
  const hop: Hop = await openSide(config.broker, config.side, config.prefix, settings);
  return {
    handle(message) {
      if (message.type === 'run') {
        hop.run(message.messages).then(
          () => send({ type: 'ran' }),
          (error: unknown) => send({ type: 'error', message: errorMessage(error) }),
        );
      }
    },
    close: () => hop.close(),
  };
});
