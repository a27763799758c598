import { execFileSync } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { DISRUPTION_LOCKS, exclusiveLock } from '../../../../test/support/exclusive-lock.js';

const DAEMON = '/usr/sbin/nats-server';
const ARGS = ['-a', '127.0.0.1', '-p', '4222', '-js', '-sd', '/var/lib/nats-server', '-l', '/var/log/nats-server.log'];

/** Name of the lock a test holds while the shared nats-server is down, or while it needs it up undisturbed. */
export const NATS_DISRUPTION_LOCK = DISRUPTION_LOCKS.nats;

let release: (() => void) | undefined;

/** Takes {@link NATS_DISRUPTION_LOCK} now (before messages start to flow), for a later {@link stopServer}. */
export async function holdServer(): Promise<void> {
  release ??= await exclusiveLock(NATS_DISRUPTION_LOCK);
}

/**
 * Stops the local nats-server and waits until its port is closed. Holds {@link NATS_DISRUPTION_LOCK} until
 * {@link startServer}, so tests that need the server undisturbed (the distributed demo) never overlap.
 */
export async function stopServer(): Promise<void> {
  release ??= await exclusiveLock(NATS_DISRUPTION_LOCK);
  execFileSync('start-stop-daemon', ['--stop', '--oknodo', '--retry', '10', '--exec', DAEMON]);
  await waitForPort(false);
}

/** Starts the local nats-server (JetStream data persists on disk) and waits until its port answers. */
export async function startServer(): Promise<void> {
  execFileSync('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', DAEMON, '--', ...ARGS]);
  try {
    await waitForPort(true);
  } finally {
    release?.();
    release = undefined;
  }
}

async function waitForPort(open: boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await portOpen()) === open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nats-server port did not ${open ? 'open' : 'close'} within ${timeoutMs} ms`);
}

function portOpen(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port: 4222 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
