import { createTraceState, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { extractTraceContext, formatTraceContext, parseTraceparent } from '../../src/telemetry/trace-context.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

describe('W3C trace context without an SDK', () => {
  it('formats a span context as traceparent and tracestate, and parses it back', () => {
    const carrier = formatTraceContext({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('vendor=abc,other=1'),
    });
    expect(carrier).toEqual({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: 'vendor=abc,other=1' });
    const parsed = parseTraceparent(carrier ?? {});
    expect(parsed).toMatchObject({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(parsed?.traceState?.get('vendor')).toBe('abc');
  });

  it('writes nothing for the invalid context of a no-op span', () => {
    expect(
      formatTraceContext(
        trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }).spanContext(),
      ),
    ).toBe(undefined);
  });

  it.each([
    ['absent', undefined],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['upper case', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['version 00 with extra fields', `00-${TRACE_ID}-${SPAN_ID}-01-extra`],
  ])('ignores a traceparent that is %s', (_name, traceparent) => {
    expect(parseTraceparent(traceparent === undefined ? {} : { traceparent })).toBe(undefined);
    expect(extractTraceContext(ROOT_CONTEXT, traceparent === undefined ? {} : { traceparent })).toBe(ROOT_CONTEXT);
  });

  it('extracts a remote parent into a context', () => {
    const context = extractTraceContext(ROOT_CONTEXT, { traceparent: `00-${TRACE_ID}-${SPAN_ID}-00` });
    expect(trace.getSpanContext(context)).toMatchObject({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 0,
      isRemote: true,
    });
  });
});

describe('trace context in unchecked input', () => {
  it('treats non-string fields as no context instead of throwing', () => {
    const carrier = { traceparent: 42, tracestate: { a: 1 } } as unknown as {
      traceparent?: string;
      tracestate?: string;
    };
    expect(parseTraceparent(carrier)).toBe(undefined);
    const odd = { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: 7 } as unknown as {
      traceparent?: string;
      tracestate?: string;
    };
    expect(parseTraceparent(odd)?.traceState).toBe(undefined);
  });
});
