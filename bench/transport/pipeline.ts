import { fileURLToPath } from 'node:url';
import { MemoryTransport, type Subscription, type Transport } from '../../packages/core/src/index.js';
import type { Broker } from './args.js';
import { sdkEnvelope, type Workload } from './batch-data.js';
import { openTransport } from './brokers.js';
import { Arrivals, publishWindowed } from './hop.js';
import { INPUT_OF, PIPE, startSink, startStage, type Role } from './stage.js';
import type { FromStage, StageConfig, ToStage } from './stage-worker.js';
import { WorkerProcess } from './worker-process.js';

const WORKER = fileURLToPath(new URL('./stage-worker.ts', import.meta.url));
const ROLES: readonly Role[] = ['stage-a', 'stage-b', 'sink'];

/** Settings of the pipeline measurement. */
export interface PipelineSettings {
  readonly workload: Workload;
  readonly prefetch: number;
  readonly window: number;
  readonly timeoutMs: number;
}

/** A running pipeline: stage A, stage B and the sink subscribed; `run` publishes at the source and waits for the sink. */
export interface Pipeline {
  /** `in process` for memory, `3 child processes` otherwise. */
  readonly where: string;
  run(messages: number): Promise<void>;
  close(): Promise<void>;
}

/** The AMQP exchanges and queues the pipeline declares under `prefix`, for clean-up. */
export function pipelineAmqpNames(prefix: string): { queues: string[]; exchanges: string[] } {
  return {
    exchanges: Object.values(PIPE).map((topic) => `${prefix}.${topic}`),
    queues: ROLES.map((role) => `${prefix}.${INPUT_OF[role]}.${role}`),
  };
}

/**
 * Starts the pipeline over `broker`: stage A, stage B and the sink each in their own child process (`node
 * --import tsx stage-worker.ts`, each with its own SDK transport), the source in this process. For `memory`
 * the three run in this process on one `MemoryTransport`.
 */
export async function startPipeline(broker: Broker, prefix: string, settings: PipelineSettings): Promise<Pipeline> {
  const source = await openTransport(broker, prefix, broker === 'memory' ? new MemoryTransport() : undefined);
  const publishAll = (messages: number): Promise<void> =>
    publishWindowed(messages, settings.window, (i) => source.publish(PIPE.in, sdkEnvelope(settings.workload, i)));
  if (broker === 'memory') return inProcess(source, settings, publishAll);
  const children = await Promise.all(
    ROLES.map((role) =>
      WorkerProcess.start<ToStage, FromStage>(WORKER, role, {
        broker,
        role,
        prefix,
        ...shape(settings),
      } satisfies StageConfig),
    ),
  );
  const sink = children[2]!;
  return {
    where: '3 child processes',
    async run(messages) {
      await sink.request({ type: 'expect', messages }, 'expecting');
      await Promise.all([sink.next('done', settings.timeoutMs + 5000), publishAll(messages)]);
    },
    async close() {
      await Promise.all(children.map((child) => child.stop()));
      await source.close();
    },
  };
}

function shape(settings: PipelineSettings): Pick<StageConfig, 'rows' | 'width' | 'prefetch' | 'timeoutMs'> {
  return {
    rows: settings.workload.rows,
    width: settings.workload.width,
    prefetch: settings.prefetch,
    timeoutMs: settings.timeoutMs,
  };
}

async function inProcess(
  transport: Transport,
  settings: PipelineSettings,
  publishAll: (messages: number) => Promise<void>,
): Promise<Pipeline> {
  const arrivals = new Arrivals(settings.timeoutMs);
  const subscriptions: Subscription[] = [
    await startStage(transport, 'stage-a', settings.workload, settings.prefetch),
    await startStage(transport, 'stage-b', settings.workload, settings.prefetch),
    await startSink(transport, settings.workload, settings.prefetch, arrivals),
  ];
  return {
    where: 'in process',
    async run(messages) {
      await Promise.all([arrivals.expect(messages), publishAll(messages)]);
    },
    async close() {
      await Promise.all(subscriptions.map((s) => s.close()));
      await transport.close();
    },
  };
}

/** A forked stage process and its IPC messages. */
