import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** What reached the feedback route, seen from beside the handler. */
export interface FeedbackWatch {
  /** How many times each item id arrived (duplicates and refused requests included). */
  readonly deliveries: ReadonlyMap<string, number>;
  /** Body size in bytes of every feedback request that arrived. */
  readonly bodies: readonly number[];
  /** The next `count` feedback requests are processed by the handler, then their connection is dropped unanswered. */
  dropAnswers(count: number): void;
}

/**
 * Watches `POST /v1/feedback` on `server` with a 'request' listener placed before the handler's: body sizes
 * and item ids as the handler reads them, and lost answers on demand (the handler runs and stores what it accepted,
 * but its answer never leaves: the socket is destroyed instead of written to). The handler itself is untouched.
 */
export function watchFeedback(server: Server): FeedbackWatch {
  const deliveries = new Map<string, number>();
  const bodies: number[] = [];
  let drop = 0;
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/v1/feedback') return;
    // Seen through `emit`, not a 'data' listener: a listener would switch the stream to flowing mode and the
    // chunks would be gone before the handler's bridge (@hono/node-server) starts reading the body.
    const chunks: Buffer[] = [];
    const emit = req.emit.bind(req) as (event: string | symbol, ...args: unknown[]) => boolean;
    req.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
      if (event === 'data') chunks.push(args[0] as Buffer);
      return emit(event, ...args);
    }) as IncomingMessage['emit'];
    req.once('end', () => {
      const raw = Buffer.concat(chunks);
      bodies.push(raw.length);
      try {
        for (const item of (JSON.parse(raw.toString('utf8')) as { items: Array<{ id: string }> }).items)
          deliveries.set(item.id, (deliveries.get(item.id) ?? 0) + 1);
      } catch {
        // Not JSON: the handler answers it.
      }
    });
    if (drop > 0) {
      drop--;
      const destroy = (): ServerResponse => {
        res.socket?.destroy();
        return res;
      };
      res.writeHead = destroy as unknown as ServerResponse['writeHead'];
      res.write = (() => true) as unknown as ServerResponse['write'];
      res.end = destroy as unknown as ServerResponse['end'];
    }
  });
  return {
    deliveries,
    bodies,
    dropAnswers: (count) => {
      drop = count;
    },
  };
}
