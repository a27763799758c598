import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** Where moto's S3 server listens for the integration tests. */
export const MOTO = {
  host: '127.0.0.1',
  port: 5055,
  endpoint: 'http://127.0.0.1:5055',
  bucket: 'dissonance-artifacts',
} as const;

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** True when something accepts TCP connections on `port`. */
export function answers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => done(false));
  });
}

/** A client for moto with the test credentials. */
export function motoClient(endpoint: string = MOTO.endpoint): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
  });
}

/**
 * Makes sure moto answers on 127.0.0.1:5055 with the test bucket: `bash scripts/services.sh up` once
 * `scripts/services.d/moto.sh` exists, else spawns `.venv/bin/moto_server` detached and waits for it.
 */
export async function ensureMoto(): Promise<void> {
  if (!(await answers(MOTO.port))) {
    if (existsSync(`${ROOT}scripts/services.d/moto.sh`)) {
      await run('bash', [`${ROOT}scripts/services.sh`, 'up']);
    } else {
      const child = spawn(`${ROOT}.venv/bin/moto_server`, ['-H', MOTO.host, '-p', String(MOTO.port)], {
        cwd: ROOT,
        detached: true,
        stdio: 'ignore',
      });
      child.unref();
      for (let i = 0; i < 150 && !(await answers(MOTO.port)); i++) await new Promise((r) => setTimeout(r, 200));
    }
  }
  const client = motoClient();
  try {
    await client.send(new CreateBucketCommand({ Bucket: MOTO.bucket }));
  } catch (error) {
    const name = (error as { name?: unknown }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  } finally {
    client.destroy();
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}`)),
    );
  });
}
