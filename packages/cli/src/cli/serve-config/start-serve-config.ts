import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createEngine, type Engine, type PoisoningGuard } from '@dissonance/core';
import { FileStore } from '@dissonance/node';
import { serve, type RunningServer } from '@dissonance/server';
import { OnnxNodeRuntime } from '@dissonance/node';
import { setupTelemetry, type TelemetryHandle } from '@dissonance/server';
import { writeTokenFile } from '../dev-token.js';
import type { ServeIo } from '../serve-command.js';
import { configProblemsError } from './config-problems.js';
import { configLoop } from './config-loop.js';
import { loadConfigModels } from './config-models.js';
import { configSecurity } from './config-security.js';
import type { Env } from './env-substitution.js';
import type { LoadedServeConfig } from './load-serve-config.js';
import { openRegistry } from './open-registry.js';
import { publishCritics } from '../publish-critics.js';
import { serveAuth } from './serve-auth.js';

/** A server started from a config file. */
export interface ConfigServe {
  readonly server: RunningServer;
  readonly engine: Engine;
  /** Undefined when the feedback guard is off. */
  readonly guard: PoisoningGuard | undefined;
  /** The state directory (store; file registry by default). */
  readonly dir: string;
  /** Stops the server, the engine, the store, the registry and telemetry. */
  stop(): Promise<void>;
}

/**
 * Starts what `dissonance serve --config FILE` runs, without waiting for a signal. The security rules are
 * checked first: a refusal is `E_CONFIG` listing the problems by config path, before anything starts.
 * Substituted values are never written to `io`.
 */
export async function startServeConfig(
  loaded: LoadedServeConfig,
  io: ServeIo,
  env: Env = process.env,
): Promise<ConfigServe> {
  const { config, file } = loaded;
  const security = await configSecurity(config, env);
  if (Array.isArray(security)) throw configProblemsError(file, security);
  const dir = config.state.dir ?? mkdtempSync(join(tmpdir(), 'dissonance-serve-'));
  const cleanup: (() => Promise<void> | void)[] = [];
  const undo = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    const telemetry: TelemetryHandle | undefined =
      config.telemetry === false ? undefined : await setupTelemetry(config.telemetry);
    if (telemetry !== undefined) cleanup.push(() => telemetry.shutdown());
    const { auth, dev } = await serveAuth(config.auth);
    const registry = await openRegistry(config.registry, dir, security.encryption);
    cleanup.push(async () => {
      await registry.close?.();
    });
    const threads = config.server.threads;
    const runtime = new OnnxNodeRuntime({
      executionProvider: config.server.runtime,
      ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
    });
    io.err(`dissonance serve: loading model ${config.model.name} (config ${file}, state in ${dir})\n`);
    const models = await loadConfigModels(config, runtime, registry);
    const store = await FileStore.open({
      dir: join(dir, 'store'),
      ...(security.encryption === undefined ? {} : { encryption: security.encryption }),
    });
    cleanup.push(() => store.close());
    if (models.seedExamples.length > 0 && (await store.countExamples()) === 0)
      await store.appendExamples(models.seedExamples);
    const loop = await configLoop(config, runtime);
    cleanup.push(() => loop.close());
    const critics = models.critics.map((c) => c.model);
    const engine = createEngine({
      modelName: config.model.name,
      proposer: models.proposer,
      critics,
      detector: config.detector,
      labels: loop.labels,
      ...(loop.trainer === undefined ? {} : { trainer: loop.trainer }),
      runtime,
      registry,
      store,
      ...(models.golden === undefined ? {} : { golden: models.golden }),
      ...(models.reference === undefined ? {} : { reference: models.reference }),
      ...(config.policy === undefined ? {} : { policy: config.policy }),
      retrain: { everyExamples: 0, ...config.retrain },
      rollout: config.rollout,
      ...(security.trust === undefined ? {} : { trust: security.trust }),
      ...(security.signing === undefined ? {} : { signing: security.signing }),
    });
    cleanup.push(async () => {
      await engine.stop();
    });
    await engine.ready();
    await publishCritics(
      registry,
      models.critics.filter((c) => c.register).map((c) => c.model),
      security.signing,
    );
    const tls = config.server.tls;
    const server = await serve({
      engine,
      auth,
      published: critics.map((c) => c.name),
      ...(security.trust === undefined ? {} : { trust: security.trust }),
      ...(loop.guard === undefined ? {} : { guard: loop.guard }),
      retrainEvery: config.labels.feedback.retrainEvery,
      port: config.server.port,
      host: config.server.host,
      ...(config.server.cors.length === 0 ? {} : { cors: { origins: config.server.cors } }),
      ...(tls === undefined
        ? {}
        : {
            tls: {
              cert: readText(tls.cert),
              key: readText(tls.key),
              requireClientCert: tls.requireClientCert,
              ...(tls.ca === undefined ? {} : { ca: tls.ca.map(readText) }),
            },
          }),
      onError: (error) => io.err(`dissonance serve: ${error instanceof Error ? error.message : String(error)}\n`),
    });
    cleanup.push(() => server.close());
    if (security.trust === undefined)
      io.err(
        'dissonance serve: no trust policy: model artifacts are served and promoted unsigned (development only)\n',
      );
    engine.on('retrained', (e) =>
      io.err(`dissonance serve: candidate ${e.candidate.version} ${e.decision} (${e.reason})\n`),
    );
    if (dev !== undefined) {
      mkdirSync(dirname(dev.file), { recursive: true });
      writeTokenFile(dev.file, dev.token.token);
      io.err(`dissonance serve: development token (scopes "predict feedback", 1 h) written to ${dev.file}\n`);
    }
    if (telemetry?.prometheusUrl !== undefined) io.err(`dissonance serve: metrics at ${telemetry.prometheusUrl}\n`);
    io.out(
      `dissonance serve: listening on ${server.url} (model ${engine.modelName}, champion version ${engine.championVersion})\n`,
    );
    let stopped: Promise<void> | undefined;
    return { server, engine, guard: loop.guard, dir, stop: () => (stopped ??= undo()) };
  } catch (error) {
    await undo();
    throw error;
  }
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
