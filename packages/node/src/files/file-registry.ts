import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  DissonanceError,
  EnvelopeCipher,
  systemClock,
  toDissonanceError,
  type Clock,
  type KeyProvider,
  type ModelArtifact,
  type ModelRegistry,
  type ModelVersion,
  type Page,
  type RegisterInput,
  type SetAliasOptions,
} from '@dissonance/core';
import {
  REGISTRY_NAME,
  checkName,
  checkRegisterInput,
  checkPageSize,
  pageTokenBelow,
  parsePageToken,
} from '@dissonance/core/adapter-kit';
import { aliasesText, readAliases } from './aliases-file.js';
import { syncDirectory, writeFileAtomic, writeNewFile } from './atomic-write.js';
import { processMutex } from './keyed-mutex.js';
import { acquireLockFile } from './lock-file.js';
import { VERSION_NAME, manifestText, parseManifest } from './manifest-file.js';
import { sweepTempFiles, tempName } from './temp-files.js';

/** Options of {@link FileRegistry}. */
export interface FileRegistryOptions {
  /** Directory holding one sub-directory per model; created on first use. */
  readonly root: string;
  /** Largest artifact accepted, in bytes; larger ones are refused with `E_INPUT`. Default: no limit. */
  readonly maxArtifactBytes?: number;
  /** Source of `createdAt` times (default the system clock). */
  readonly clock?: Clock;
  /** An alias lock taken longer ago than this is presumed abandoned and broken. Default 10 000 ms. */
  readonly lockStaleMs?: number;
  /** How long an alias change waits for another process's lock before `E_REGISTRY_UNAVAILABLE`. Default 30 000 ms. */
  readonly lockWaitMs?: number;
  /**
   * Encrypts every artifact file at rest with AES-256-GCM under the provider's current key (manifests and
   * aliases stay readable: they hold no feature values). `fetch` decrypts with the key the file's header names,
   * then checks size and sha256 of the plaintext. Default: plaintext. A flipped ciphertext byte → `E_DECRYPT`.
   */
  readonly encryption?: KeyProvider;
}

/** Artifact formats become file extensions (`model.<format>`), so they are kept to a safe alphabet. */
const FORMAT = /^[A-Za-z0-9._-]{1,64}$/;
/** Version numbers another process may take between our scan and our rename before we give up. */
const MAX_REGISTER_ATTEMPTS = 1000;
const MANIFEST = 'manifest.json';
const ALIASES = 'aliases.json';
const ALIAS_LOCK = 'aliases.lock';

/**
 * A {@link ModelRegistry} in a directory tree, safe across crashes and across processes on one host:
 *
 * ```
 * <root>/<model>/<version>/model.<format>   the artifact bytes
 * <root>/<model>/<version>/manifest.json    the ModelVersion (sha256, size, shapes, metrics, lineage…)
 * <root>/<model>/aliases.json               alias → version
 * ```
 *
 * A version is written complete (both files fsync'd) in `<root>/<model>/.tmp-*` and renamed to its number, so
 * a crash never leaves a half-written version visible; numbers are the highest present + 1, and a rename that
 * loses the number to another process retries with the next. Alias changes are read-modify-write under an
 * in-process mutex and a lock file (`aliases.lock`), and `aliases.json` is replaced atomically, so
 * compare-and-set holds between processes. `fetch` re-hashes the artifact (`E_ARTIFACT_DIGEST` on mismatch).
 * A malformed manifest or aliases file, or a version directory missing a file, is `E_MODEL` naming the file;
 * other I/O failures are `E_REGISTRY_UNAVAILABLE`. Leftover `.tmp-*` entries of crashed writers are removed
 * on first use. After `close()` every call rejects with `E_REGISTRY_UNAVAILABLE`.
 */
export class FileRegistry implements ModelRegistry {
  /** `file`. */
  readonly name = 'file';
  /** Absolute path of the root directory. */
  readonly root: string;
  readonly #maxArtifactBytes: number;
  readonly #clock: Clock;
  readonly #lockStaleMs: number;
  readonly #lockWaitMs: number;
  readonly #cipher: EnvelopeCipher | undefined;
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(options: FileRegistryOptions) {
    if (typeof options?.root !== 'string' || options.root.length === 0) {
      throw new DissonanceError('E_CONFIG', 'file registry root must be a non-empty path', {
        details: { field: 'root' },
      });
    }
    const max = options.maxArtifactBytes ?? Number.POSITIVE_INFINITY;
    if (!(max === Number.POSITIVE_INFINITY || (Number.isSafeInteger(max) && max >= 1))) {
      throw new DissonanceError('E_CONFIG', `maxArtifactBytes must be a positive integer, got ${max}`, {
        details: { field: 'maxArtifactBytes' },
      });
    }
    this.root = resolve(options.root);
    this.#maxArtifactBytes = max;
    this.#clock = options.clock ?? systemClock;
    this.#lockStaleMs = positive(options.lockStaleMs ?? 10_000, 'lockStaleMs');
    this.#lockWaitMs = positive(options.lockWaitMs ?? 30_000, 'lockWaitMs');
    this.#cipher = options.encryption === undefined ? undefined : new EnvelopeCipher(options.encryption);
  }

  async register(input: RegisterInput): Promise<ModelVersion> {
    await this.#enter();
    const parts = checkRegisterInput(input, this.#maxArtifactBytes);
    const { name } = input;
    const format = input.artifact.format;
    if (name === '.' || name === '..') throw badInput('name', `must not be "${name}"`);
    if (!FORMAT.test(format))
      throw badInput('artifact.format', 'must be 1–64 characters of A–Z, a–z, 0–9, ".", "_" or "-"');
    const bytes = input.artifact.bytes.slice();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const modelDir = join(this.root, name);
    const temp = join(modelDir, tempName('version'));
    try {
      const created = await mkdir(modelDir, { recursive: true });
      if (created !== undefined) await syncDirectory(dirname(created));
      await mkdir(temp);
      await writeNewFile(
        join(temp, artifactFile(format)),
        this.#cipher === undefined ? bytes : await this.#cipher.seal(bytes),
      );
      const base = {
        name,
        format,
        sha256,
        size: bytes.byteLength,
        inputWidth: input.inputWidth,
        classes: input.classes,
        createdAt: new Date(this.#clock.now()).toISOString(),
      };
      // The artifact, the slow part, is written outside the mutex; numbering and renaming happen inside it.
      return await processMutex.run(`${modelDir}#register`, async () => {
        for (let attempt = 0; attempt < MAX_REGISTER_ATTEMPTS; attempt++) {
          this.#open();
          const version = String((await highestVersion(modelDir)) + 1);
          const manifest: ModelVersion = Object.freeze({ ...base, version, ...parts });
          await writeFileAtomic(join(temp, MANIFEST), manifestText(manifest));
          if (await renameUnlessTaken(temp, join(modelDir, version))) {
            await syncDirectory(modelDir);
            return manifest;
          }
        }
        throw new DissonanceError('E_REGISTRY_UNAVAILABLE', `could not claim a version number for ${name}`, {
          details: { name },
        });
      });
    } catch (error) {
      await rm(temp, { recursive: true, force: true }).catch(() => undefined);
      throw toDissonanceError(error, 'E_REGISTRY_UNAVAILABLE', `file registry: register ${name}`);
    }
  }

  async get(name: string, version: string): Promise<ModelVersion> {
    await this.#enter();
    return this.#io(`get ${name} version ${version}`, () => this.#manifest(name, version));
  }

  async resolve(name: string, alias: string): Promise<ModelVersion> {
    await this.#enter();
    return this.#io(`resolve ${name}@${alias}`, async () => {
      const version = (await this.#aliases(name)).get(alias);
      if (version === undefined) {
        throw new DissonanceError('E_ALIAS_NOT_FOUND', `model ${name} has no alias ${alias}`, {
          details: { name, alias },
        });
      }
      return this.#manifest(name, version);
    });
  }

  async setAlias(name: string, alias: string, version: string, options: SetAliasOptions = {}): Promise<void> {
    await this.#enter();
    checkName(alias, 'alias');
    const expected: unknown = options.expected;
    if (expected !== undefined && expected !== null && typeof expected !== 'string') {
      throw badInput('expected', 'must be a version string, null or absent');
    }
    await this.#io(`set alias ${alias} of ${name}`, async () => {
      await this.#manifest(name, version);
      await this.#changeAliases(name, (aliases) => {
        const current = aliases.get(alias) ?? null;
        if (options.expected !== undefined && options.expected !== current) {
          throw new DissonanceError(
            'E_REGISTRY_CONFLICT',
            `alias ${alias} of ${name} points at ${current ?? 'nothing'}, not ${options.expected ?? 'nothing'}`,
            { details: { name, alias, expected: options.expected, actual: current } },
          );
        }
        if (current === version) return false;
        aliases.set(alias, version);
        return true;
      });
    });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.#enter();
    await this.#io(`delete alias ${alias} of ${name}`, async () => {
      await this.#versions(name);
      await this.#changeAliases(name, (aliases) => aliases.delete(alias));
    });
  }

  async aliases(name: string): Promise<Readonly<Record<string, string>>> {
    await this.#enter();
    return this.#io(`aliases of ${name}`, async () => Object.freeze(Object.fromEntries(await this.#aliases(name))));
  }

  async list(name: string, options: { pageSize?: number; pageToken?: string } = {}): Promise<Page<ModelVersion>> {
    await this.#enter();
    const pageSize = checkPageSize(options.pageSize);
    return this.#io(`list ${name}`, async () => {
      const versions = await this.#versions(name);
      const below = options.pageToken === undefined ? Number.POSITIVE_INFINITY : parsePageToken(options.pageToken);
      const candidates = versions.filter((version) => version < below);
      const page = candidates.slice(0, pageSize);
      const items = await Promise.all(page.map((version) => this.#manifest(name, String(version))));
      const last = page[page.length - 1];
      return candidates.length > page.length && last !== undefined
        ? { items, nextPageToken: pageTokenBelow(last) }
        : { items };
    });
  }

  async fetch(name: string, version: string): Promise<{ manifest: ModelVersion; artifact: ModelArtifact }> {
    await this.#enter();
    return this.#io(`fetch ${name} version ${version}`, async () => {
      const manifest = await this.#manifest(name, version);
      const path = join(this.root, name, version, artifactFile(manifest.format));
      const bytes =
        this.#cipher === undefined
          ? await readArtifact(path, manifest)
          : await readSealedArtifact(path, manifest, this.#cipher);
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== manifest.sha256) {
        throw new DissonanceError('E_ARTIFACT_DIGEST', `artifact ${path} does not match its sha256`, {
          details: { name, version, path, expected: manifest.sha256, actual },
        });
      }
      return { manifest, artifact: { format: manifest.format, bytes } };
    });
  }

  async ping(): Promise<void> {
    await this.#enter();
    await this.#io('ping', () => access(this.root, constants.R_OK | constants.W_OK));
  }

  /** Marks the registry closed; later calls reject with `E_REGISTRY_UNAVAILABLE`. The files stay. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Fails when closed; on first use creates the root and sweeps what crashed writers left behind. */
  async #enter(): Promise<void> {
    this.#open();
    this.#ready ??= this.#initialize().catch((error: unknown) => {
      this.#ready = undefined;
      throw toDissonanceError(error, 'E_REGISTRY_UNAVAILABLE', `file registry ${this.root}`);
    });
    await this.#ready;
    this.#open();
  }

  async #initialize(): Promise<void> {
    const created = await mkdir(this.root, { recursive: true });
    if (created !== undefined) await syncDirectory(dirname(created));
    const entries = await readdir(this.root, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.isDirectory()) await sweepTempFiles(join(this.root, entry.name));
    }
  }

  #open(): void {
    if (this.#closed) throw new DissonanceError('E_REGISTRY_UNAVAILABLE', `file registry ${this.root} is closed`);
  }

  /** Runs `work`, turning unexpected I/O failures into `E_REGISTRY_UNAVAILABLE`. */
  async #io<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toDissonanceError(error, 'E_REGISTRY_UNAVAILABLE', `file registry: ${what}`);
    }
  }

  /** The version numbers of a model, highest first; `E_NOT_FOUND` when it has none. */
  async #versions(name: string): Promise<number[]> {
    const versions = isModelName(name) ? await versionNumbers(join(this.root, name)) : [];
    if (versions.length === 0)
      throw new DissonanceError('E_NOT_FOUND', `no model named ${name}`, { details: { name } });
    return versions.sort((a, b) => b - a);
  }

  async #manifest(name: string, version: string): Promise<ModelVersion> {
    const dir = isModelName(name) && VERSION_NAME.test(version) ? join(this.root, name, version) : undefined;
    if (dir === undefined) throw await this.#notFound(name, version);
    const path = join(dir, MANIFEST);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (!isMissing(error)) throw error;
      if (await exists(dir)) {
        throw new DissonanceError('E_MODEL', `version directory ${dir} has no ${MANIFEST}`, { details: { path } });
      }
      throw await this.#notFound(name, version);
    }
    return parseManifest(text, path, { name, version });
  }

  /** `E_NOT_FOUND` for an unknown model (thrown by `#versions`) or version. */
  async #notFound(name: string, version: string): Promise<DissonanceError> {
    await this.#versions(name);
    return new DissonanceError('E_NOT_FOUND', `model ${name} has no version ${version}`, {
      details: { name, version },
    });
  }

  async #aliases(name: string): Promise<Map<string, string>> {
    await this.#versions(name);
    return readAliases(join(this.root, name, ALIASES));
  }

  /**
   * Read-modify-write of `aliases.json` under the in-process mutex and the cross-process lock file; `change`
   * edits the map and returns whether to write it back.
   */
  async #changeAliases(name: string, change: (aliases: Map<string, string>) => boolean): Promise<void> {
    const modelDir = join(this.root, name);
    const path = join(modelDir, ALIASES);
    await processMutex.run(path, async () => {
      const lock = await acquireLockFile(join(modelDir, ALIAS_LOCK), {
        code: 'E_REGISTRY_UNAVAILABLE',
        staleMs: this.#lockStaleMs,
        waitMs: this.#lockWaitMs,
      });
      try {
        const aliases = await readAliases(path);
        if (change(aliases)) await writeFileAtomic(path, aliasesText(aliases));
      } finally {
        await lock.release();
      }
    });
  }
}

/** A model name that is also a safe directory name (`REGISTRY_NAME` allows `.` and `..`). */
function isModelName(name: unknown): name is string {
  return typeof name === 'string' && REGISTRY_NAME.test(name) && name !== '.' && name !== '..';
}

function artifactFile(format: string): string {
  return `model.${format}`;
}

/** The version numbers present in a model directory (unordered); none when it does not exist. */
async function versionNumbers(modelDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(modelDir);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  return names.filter((entry) => VERSION_NAME.test(entry)).map(Number);
}

async function highestVersion(modelDir: string): Promise<number> {
  return (await versionNumbers(modelDir)).reduce((max, n) => Math.max(max, n), 0);
}

/**
 * Renames the complete temporary version directory to its number. False when another process took that
 * number first (the target exists and is not empty: `EEXIST`/`ENOTEMPTY`, or `EPERM` on Windows).
 */
async function renameUnlessTaken(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTEMPTY') return false;
    if (code === 'EPERM' && (await exists(to))) return false;
    throw error;
  }
}

/**
 * Reads an artifact whose manifest says it holds `manifest.size` bytes; a file of another size is refused
 * (`E_ARTIFACT_DIGEST`) without reading it, and a missing one is `E_MODEL`.
 */
async function readArtifact(path: string, manifest: ModelVersion): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (!isMissing(error)) throw error;
    throw new DissonanceError('E_MODEL', `artifact file ${path} is missing`, { details: { path } });
  }
  try {
    const { size } = await handle.stat();
    if (size !== manifest.size) {
      const head = new Uint8Array(8);
      await handle.read(head, 0, head.length, 0);
      if (EnvelopeCipher.isSealed(head)) {
        throw new DissonanceError(
          'E_DECRYPT',
          `artifact ${path} is encrypted but no encryption key provider is configured`,
          {
            details: { path },
          },
        );
      }
      throw new DissonanceError(
        'E_ARTIFACT_DIGEST',
        `artifact ${path} holds ${size} bytes, its manifest says ${manifest.size}`,
        {
          details: { name: manifest.name, version: manifest.version, path, expected: manifest.size, actual: size },
        },
      );
    }
    const bytes = new Uint8Array(size);
    for (let offset = 0; offset < size;) {
      const { bytesRead } = await handle.read(bytes, offset, size - offset, offset);
      if (bytesRead === 0) {
        throw new DissonanceError('E_ARTIFACT_DIGEST', `artifact ${path} ended after ${offset} of ${size} bytes`, {
          details: { path },
        });
      }
      offset += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

/** Largest header and tag an envelope adds to an artifact (magic, version, key id up to 64, IV, tag). */
const ENVELOPE_OVERHEAD = 6 + 64 + 12 + 16;

/**
 * Reads and decrypts an encrypted artifact whose plaintext the manifest says is `manifest.size` bytes; a file
 * too large to be that is refused without reading it (`E_ARTIFACT_DIGEST`), one that does not authenticate is
 * `E_DECRYPT`, a missing one `E_MODEL`.
 */
async function readSealedArtifact(path: string, manifest: ModelVersion, cipher: EnvelopeCipher): Promise<Uint8Array> {
  let sealed: Uint8Array;
  try {
    const { size } = await stat(path);
    if (size > manifest.size + ENVELOPE_OVERHEAD) {
      throw new DissonanceError(
        'E_ARTIFACT_DIGEST',
        `encrypted artifact ${path} holds ${size} bytes, too many for ${manifest.size}`,
        {
          details: { name: manifest.name, version: manifest.version, path },
        },
      );
    }
    sealed = await readFile(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
    throw new DissonanceError('E_MODEL', `artifact file ${path} is missing`, { details: { path } });
  }
  const bytes = await cipher.open(sealed, `artifact ${path}`);
  if (bytes.byteLength !== manifest.size) {
    throw new DissonanceError(
      'E_ARTIFACT_DIGEST',
      `artifact ${path} holds ${bytes.byteLength} bytes, its manifest says ${manifest.size}`,
      {
        details: {
          name: manifest.name,
          version: manifest.version,
          path,
          expected: manifest.size,
          actual: bytes.byteLength,
        },
      },
    );
  }
  return bytes;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function positive(value: number, field: string): number {
  if (!(typeof value === 'number' && value > 0)) {
    throw new DissonanceError('E_CONFIG', `${field} must be a positive number of milliseconds, got ${value}`, {
      details: { field },
    });
  }
  return value;
}

function badInput(field: string, problem: string): DissonanceError {
  return new DissonanceError('E_INPUT', `${field} ${problem}`, { details: { field } });
}
