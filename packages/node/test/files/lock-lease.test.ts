import { readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isDissonanceError, type DissonanceError } from '@dissonance/core';
import { expectCode } from '@dissonance/core/testing';
import { runStoreCommand } from '../../../cli/src/cli/store-command.js';
import { FileStore } from '../../src/files/file-store.js';
import { acquireLockFile, type LockFile } from '../../src/files/lock-file.js';
import { killHard, startChild, type Child } from './fixtures/child-process.js';
import { tempDir } from './fixtures/temp-dir.js';

const FOREIGN = 'rescheduled-pod-7f9c';
/** The lease of the cross-process tests: long enough that a loaded machine does not miss heartbeats. */
const LEASE = 1_500;

/** Writes `store.lock` as another holder would have left it, last refreshed `ageMs` ago. */
async function plantLock(
  dir: string,
  holder: { pid: number; host: string; lease?: number },
  ageMs: number,
): Promise<string> {
  const path = join(dir, 'store.lock');
  const at = Date.now() - ageMs;
  await writeFile(path, JSON.stringify({ token: 'planted', at, ...holder }));
  await utimes(path, new Date(at), new Date(at));
  return path;
}

function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return runStoreCommand(argv, { out: (t) => (out += t), err: (t) => (err += t) }).then((code) => ({ code, out, err }));
}

describe('store.lock lease and recovery', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function dir(): Promise<string> {
    const made = await tempDir('lock-lease');
    cleanups.push(made.remove);
    return made.path;
  }
  async function openStore(path: string, lockLeaseMs?: number): Promise<FileStore> {
    const store = await FileStore.open({ dir: path, ...(lockLeaseMs === undefined ? {} : { lockLeaseMs }) });
    cleanups.push(() => store.close());
    return store;
  }

  it('takes over an expired lease left by a holder on another host (a rescheduled pod)', async () => {
    const path = await dir();
    await plantLock(path, { pid: 1, host: FOREIGN, lease: 1_000 }, 5_000);
    const store = await openStore(path);
    await store.appendAudit({ at: 1, who: 'new-pod', action: 'start' });
    expect(JSON.parse(await readFile(join(path, 'store.lock'), 'utf8'))).toMatchObject({
      pid: process.pid,
      host: hostname(),
    });
  });

  it('takes over an expired lease naming a pid that is alive on this host but is another process (a reused pid)', async () => {
    const path = await dir();
    await plantLock(path, { pid: process.ppid, host: hostname(), lease: 1_000 }, 5_000);
    await openStore(path);
  });

  it('refuses a lock of another host without a lease with E_STORE naming the file, the holder and the command; unlock --force recovers', async () => {
    const path = await dir();
    const lock = await plantLock(path, { pid: 4242, host: FOREIGN }, 3_600_000);
    const error = (await expectCode(FileStore.open({ dir: path }), 'E_STORE')) as DissonanceError;
    expect(error.message).toContain(lock);
    expect(error.message).toContain(`pid 4242 on host ${FOREIGN} since`);
    expect(error.message).toContain(`dissonance store unlock --dir ${JSON.stringify(path)}`);
    expect(error.details).toMatchObject({
      path: lock,
      pid: 4242,
      host: FOREIGN,
      command: expect.stringContaining('store unlock'),
    });

    const refused = await cli(['unlock', '--dir', path]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`host ${FOREIGN}`);
    expect(refused.err).toContain('--force');
    await expectCode(FileStore.open({ dir: path }), 'E_STORE');
    const forced = await cli(['unlock', '--dir', path, '--force']);
    expect(forced).toMatchObject({ code: 0, err: '' });
    expect(forced.out).toContain('(forced)');
    await openStore(path);
  });

  it('refuses a lock without a lease naming a live pid of this host; unlock needs --force, then the store opens', async () => {
    const path = await dir();
    await plantLock(path, { pid: process.ppid, host: hostname() }, 3_600_000);
    await expectCode(FileStore.open({ dir: path }), 'E_STORE');
    const refused = await cli(['unlock', '--dir', path]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`pid ${process.ppid} is alive on this host`);
    expect((await cli(['unlock', '--dir', path, '--force'])).code).toBe(0);
    await openStore(path);
  });

  it('unlock removes a stale lock without --force, says so when there is none, and never breaks a live lease', async () => {
    const path = await dir();
    await plantLock(path, { pid: 99_999_999, host: hostname() }, 0);
    expect(await cli(['unlock', '--dir', path])).toMatchObject({ code: 0, err: '' });
    expect((await cli(['unlock', '--dir', path])).out).toContain('not locked');
    await openStore(path, 60_000);
    const live = await cli(['unlock', '--dir', path, '--force']);
    expect(live.code).toBe(1);
    expect(live.err).toContain('its lease is being refreshed');
    expect(await cli(['unlock'])).toMatchObject({ code: 2 });
  });

  it('refuses a fresh unreadable lock (a writer mid-create) without --force, and a bad lease option with E_CONFIG', async () => {
    const path = await dir();
    await writeFile(join(path, 'store.lock'), '{"pid": 1');
    await expectCode(FileStore.open({ dir: path }), 'E_STORE');
    const refused = await cli(['unlock', '--dir', path]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('cannot be read');
    expect((await cli(['unlock', '--dir', path, '--force'])).code).toBe(0);
    await expectCode(FileStore.open({ dir: path, lockLeaseMs: 5 }), 'E_CONFIG');
    await expectCode(FileStore.open({ dir: path, lockLeaseMs: 24 * 3_600_000 }), 'E_CONFIG');
    await openStore(path);
  });

  it(
    'keeps the lease of a live holder in another process, and takes it over once that holder freezes',
    { timeout: 60_000 },
    async () => {
      const path = await dir();
      const child = startChild('lock-child.ts', ['hold', path, String(LEASE)]);
      cleanups.push(() => killHard(child));
      await child.line(/^opened$/);
      await sleep(3 * LEASE + 500); // more than three leases: the heartbeat keeps it
      await expectCode(FileStore.open({ dir: path, lockLeaseMs: LEASE }), 'E_STORE');
      child.send('write');
      await child.line(/^wrote$/);

      child.process.kill('SIGSTOP');
      try {
        const store = await openEventually(path);
        cleanups.push(() => store.close());
        await store.appendAudit({ at: 2, who: 'taker', action: 'took over' });
      } finally {
        child.process.kill('SIGCONT');
      }
      // The frozen holder finds out before it writes again: its write is refused, nothing of it lands.
      child.send('write');
      await child.line(/^failed E_STORE$/);
    },
  );

  it('lets exactly one of two processes win the takeover of an expired lease', async () => {
    for (let round = 0; round < 2; round++) {
      const path = await dir();
      await plantLock(path, { pid: 1, host: FOREIGN, lease: 1_000 }, 5_000);
      const pair: Child[] = [startChild('lock-child.ts', ['race', path]), startChild('lock-child.ts', ['race', path])];
      cleanups.push(async () => {
        for (const child of pair) await killHard(child);
      });
      await Promise.all(pair.map((child) => child.line(/^ready$/)));
      for (const child of pair) child.send('go');
      const outcomes = await Promise.all(pair.map(async (child) => (await child.line(/^(opened|refused \S+)$/))[1]));
      expect(outcomes.sort()).toEqual(['opened', 'refused E_STORE']);
    }
  }, 60_000);

  it('lets exactly one of many contenders in one process win each takeover', async () => {
    const path = await dir();
    const lock = join(path, 'store.lock');
    for (let round = 0; round < 20; round++) {
      await plantLock(path, { pid: 1, host: FOREIGN, lease: 100 }, 1_000);
      const results = await Promise.allSettled(
        // The winners' own lease is long: on a loaded machine a short one could expire before the losers look.
        Array.from({ length: 8 }, () => acquireLockFile(lock, { code: 'E_STORE', leaseMs: 30_000 })),
      );
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(isDissonanceError(r.reason, 'E_STORE')).toBe(true);
      await (won[0] as LockFile).release();
    }
  });
});

/** Opens the store once the frozen holder's lease has expired (polls; bounded). */
async function openEventually(path: string): Promise<FileStore> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await FileStore.open({ dir: path, lockLeaseMs: LEASE });
    } catch (error) {
      if (!isDissonanceError(error, 'E_STORE') || attempt >= 100) throw error;
      await sleep(100);
    }
  }
}
