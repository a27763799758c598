import { isSpanContextValid, TraceFlags, type Link } from '@opentelemetry/api';
import type { TrainingExample } from '../ports/batch.js';

/** Most links a retrain span carries: one per distinct example trace, newest examples first. */
export const MAX_LINEAGE_LINKS = 32;

/**
 * Span links from a retrain to the traces of the examples it learned from: one per distinct trace (the
 * reconcile span that wrote the example), at most `max`, taken from the end of `examples` (the newest).
 * Examples without a recorded trace are skipped.
 */
export function lineageLinks(examples: readonly TrainingExample[], max = MAX_LINEAGE_LINKS): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (let i = examples.length - 1; i >= 0 && links.length < max; i--) {
    const { traceId, spanId } = examples[i]?.provenance ?? {};
    if (traceId === undefined || spanId === undefined || seen.has(traceId)) continue;
    const context = { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true };
    if (!isSpanContextValid(context)) continue;
    seen.add(traceId);
    links.push({ context, attributes: { 'dissonance.example.id': examples[i]?.id ?? '' } });
  }
  return links;
}
