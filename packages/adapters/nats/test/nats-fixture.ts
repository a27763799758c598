import { randomId } from '@dissonance/core';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** The NATS server the integration tests use. */
export const SERVERS = '127.0.0.1:4222';

/** A fresh subject prefix (and so stream prefix) for one run of the tests. */
export function uniquePrefix(): string {
  return `dtest-${randomId()
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 12)}`;
}

/** Deletes every stream whose name starts with `streamPrefix_`. */
export async function deleteStreams(streamPrefix: string): Promise<void> {
  const nc = await connect({ servers: SERVERS });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(`${streamPrefix}_`)) names.push(name);
    await Promise.all(names.map((name) => jsm.streams.delete(name)));
  } finally {
    await nc.close();
  }
}
