import { context, INVALID_SPAN_CONTEXT, trace, type Span, type Tracer } from '@opentelemetry/api';
import { createInstrumentation, stageSpan, stageSpanSync } from '../../packages/core/src/telemetry/instrumentation.js';

/** One shared non-recording span: what every stage gets when tracing is off. */
const OFF_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * The "tracing disabled" baseline of the overhead ratio: a tracer that creates no span object, touches no
 * context and calls the stage function straight away. The instrumented side is the engine's default, the
 * global `@opentelemetry/api` tracer with no SDK registered (a ProxyTracer handing out non-recording spans
 * and switching the active context per stage).
 */
export const tracingOff: Tracer = {
  startSpan: () => OFF_SPAN,
  startActiveSpan: (...args: unknown[]) => {
    const fn = args[args.length - 1] as (span: Span) => unknown;
    return fn(OFF_SPAN);
  },
} as Tracer;

/**
 * Nanoseconds per batch that the engine's instrumentation costs with no SDK registered, measured directly: the
 * per-batch sequence of `engine.process` (context bind, three stage spans with their attributes, the outcome
 * counter) on the API's no-ops, minus the same stage bodies called without the wrappers. Median of `rounds` rounds of
 * `iterations` batches each, the two sides alternating.
 */
export async function instrumentationNsPerBatch(iterations = 100_000, rounds = 7): Promise<number> {
  const telemetry = createInstrumentation();
  const work = async (): Promise<number> => 1;
  // The stage bodies as the engine has them (generate and reconcile async, detect synchronous, each given the
  // span), run with or without the wrappers.
  const generate = (): Promise<number> => work();
  const detect = (span: Span): number => {
    if (span.isRecording()) span.setAttributes({ 'dissonance.mean': 0.1, 'dissonance.max': 0.1 });
    return 1;
  };
  const reconcile = async (span: Span): Promise<number> => {
    span.setAttributes({
      'dissonance.reconcile.examples': 0,
      'dissonance.reconcile.blocked': 0,
      'dissonance.reconcile.deferred': 0,
    });
    telemetry.metrics.items.add(1, { 'dissonance.outcome': 'unlabelled' });
    return work();
  };
  const instrumented = async (): Promise<void> => {
    await context.bind(context.active(), async () => {
      await stageSpan(
        telemetry,
        'generate',
        { 'dissonance.model.name': 'm', 'dissonance.batch.size': 1, 'dissonance.model.version': '1' },
        generate,
      );
      stageSpanSync(
        telemetry,
        'detect',
        { 'dissonance.detector': 'total-variation', 'dissonance.batch.size': 1 },
        detect,
      );
      await stageSpan(telemetry, 'reconcile', { 'dissonance.batch.size': 1 }, reconcile);
    })();
  };
  const plain = async (): Promise<void> => {
    await (async () => {
      await generate();
      detect(OFF_SPAN);
      await reconcile(OFF_SPAN);
    })();
  };
  const time = async (fn: () => Promise<void>): Promise<number> => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    return Number(process.hrtime.bigint() - start) / iterations;
  };
  await time(instrumented);
  await time(plain);
  const differences: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      const a = await time(instrumented);
      differences.push(a - (await time(plain)));
    } else {
      const b = await time(plain);
      differences.push((await time(instrumented)) - b);
    }
  }
  differences.sort((x, y) => x - y);
  return Math.max(0, differences[differences.length >> 1] ?? 0);
}
