#!/usr/bin/env node
// `npm run example:browser`: starts `dissonance serve` (digits, retrain after every 8 labels, a development
// token) and the example's Vite dev server, and stops both on Ctrl-C. Options (environment):
//   SERVER_PORT (8787), PORT (5173), RETRAIN_EVERY (8).
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const serverPort = process.env.SERVER_PORT ?? '8787';
const dir = join(tmpdir(), `dissonance-example-browser-${process.pid}`);
mkdirSync(dir, { recursive: true });
const tokenFile = join(dir, 'dev-token');

const children = [];
function stop(code) {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const server = spawn(
  process.execPath,
  [
    join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
    join(ROOT, 'packages/cli/src/cli.ts'),
    'serve',
    '--dataset',
    'digits',
    '--port',
    serverPort,
    '--dev-token-file',
    tokenFile,
    '--retrain-every',
    process.env.RETRAIN_EVERY ?? '8',
    // The person drawing is the example's only labeller: trust the dev token's principal, so the poisoning
    // guard neither caps its share of the feedback nor quarantines labels the models contradict.
    '--trust',
    'dev',
  ],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
);
children.push(server);
server.on('exit', (code) => {
  console.error(`dissonance serve exited (${code})`);
  stop(code ?? 1);
});
server.stdout.setEncoding('utf8');
let started = false;
server.stdout.on('data', (text) => {
  process.stdout.write(text);
  if (started || !text.includes('listening on')) return;
  started = true;
  const vite = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), '--config', 'examples/browser/vite.config.ts'],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, DISSONANCE_SERVER: `http://127.0.0.1:${serverPort}`, DISSONANCE_TOKEN_FILE: tokenFile },
    },
  );
  children.push(vite);
  vite.on('exit', (code) => stop(code ?? 0));
});
