// Child processes of the packaging tests: npm and node, with nothing inherited from a parent npm or vitest.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** What a child process did. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  command: string;
}

/** The environment of child processes: nothing inherited from a parent npm or from vitest. */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NODE_OPTIONS$|NODE_ENV$|TEST$)/i.test(key)) continue;
    env[key] = value;
  }
  env.NO_UPDATE_NOTIFIER = '1';
  // onnxruntime-node's postinstall downloads CUDA files from a host this machine cannot reach; CPU needs none.
  env.ONNXRUNTIME_NODE_INSTALL = 'skip';
  env.npm_config_update_notifier = 'false';
  return env;
}

/** Runs `command` in `cwd`; never rejects. */
export function run(command: string, args: string[], cwd: string): Promise<RunResult> {
  const line = `${command} ${args.join(' ')}`;
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: childEnv(), maxBuffer: 64 * 1024 * 1024, shell: process.platform === 'win32' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr), command: line });
      },
    );
  });
}

/** The command, its exit code and both outputs, for assertion messages. */
export function describeRun(result: RunResult): string {
  return `\`${result.command}\` exited ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** Runs `command` and rejects with {@link describeRun} unless it exits 0. */
export async function mustRun(command: string, args: string[], cwd: string): Promise<RunResult> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) throw new Error(describeRun(result));
  return result;
}

/** `npm pack`s the package in `dir` into `destination`; resolves to the tarball's path. */
export async function pack(dir: string, destination: string): Promise<string> {
  const result = await mustRun('npm', ['pack', '--json', '--pack-destination', destination], dir);
  const [info] = JSON.parse(result.stdout.slice(result.stdout.indexOf('['))) as { filename: string }[];
  if (!info) throw new Error(`npm pack printed no file name\n${describeRun(result)}`);
  return join(destination, info.filename);
}

/** `npm install` of `specs` into the project in `cwd`, from the local cache where it can. */
export function npmInstall(specs: string[], cwd: string): Promise<RunResult> {
  return mustRun('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specs], cwd);
}

/** The fields of a package.json the packaging tests read. */
export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  optionalDependencies?: Record<string, string>;
}
