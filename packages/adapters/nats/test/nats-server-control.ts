import { execFileSync } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';

const DAEMON = '/usr/sbin/nats-server';
const ARGS = ['-a', '127.0.0.1', '-p', '4222', '-js', '-sd', '/var/lib/nats-server', '-l', '/var/log/nats-server.log'];

/** Stops the local nats-server and waits until its port is closed. */
export async function stopServer(): Promise<void> {
  execFileSync('start-stop-daemon', ['--stop', '--oknodo', '--retry', '10', '--exec', DAEMON]);
  await waitForPort(false);
}

/** Starts the local nats-server (JetStream data persists on disk) and waits until its port answers. */
export async function startServer(): Promise<void> {
  execFileSync('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', DAEMON, '--', ...ARGS]);
  await waitForPort(true);
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
