import type { TrainingExample } from '@dissonance/core';
import { checkedExampleCopy, decodeFloat32, encodeFloat32 } from '@dissonance/core/adapter-kit';

/** A training example as stored in a JSON line: float32 arrays as base64 of their little-endian bytes. */
export interface ExampleRecord {
  readonly id: string;
  readonly x: string;
  readonly target:
    { readonly kind: 'hard'; readonly label: number } | { readonly kind: 'soft'; readonly probs: string };
  readonly weight: number;
  readonly provenance: TrainingExample['provenance'];
}

/**
 * One line of `examples.log`: a whole appended batch, so that a crash keeps all of a batch or none of it.
 * Float32 values travel as base64 and come back bit for bit.
 */
export function examplesLine(examples: readonly TrainingExample[]): string {
  return JSON.stringify({ examples: examples.map(exampleRecord) });
}

/**
 * Parses one line of `examples.log` back into checked examples. Throws (any error) when the line is not
 * such a record: the caller treats it as a torn tail or as damage.
 */
export function parseExamplesLine(line: string): TrainingExample[] {
  const value = JSON.parse(line) as { examples?: unknown } | null;
  if (typeof value !== 'object' || value === null || !Array.isArray(value.examples) || value.examples.length === 0) {
    throw new Error('not an examples record');
  }
  const records: unknown[] = value.examples;
  return records.map((record, i) => checkedExampleCopy(decodeExample(record), `examples[${i}]`));
}

export function exampleRecord(example: TrainingExample): ExampleRecord {
  const { target } = example;
  return {
    id: example.id,
    x: encodeFloat32(example.x),
    target:
      target.kind === 'soft'
        ? { kind: 'soft', probs: encodeFloat32(target.probs) }
        : { kind: 'hard', label: target.label },
    weight: example.weight,
    provenance: example.provenance,
  };
}

/** Turns base64 fields back into `Float32Array`s; everything else is left for `checkedExampleCopy` to check. */
export function decodeExample(value: unknown): TrainingExample {
  if (typeof value !== 'object' || value === null) throw new Error('example record is not an object');
  const record = value as { x?: unknown; target?: { kind?: unknown; probs?: unknown } };
  if (typeof record.x !== 'string') throw new Error('example record x is not base64');
  const target = record.target;
  const probs = target?.kind === 'soft' ? target.probs : undefined;
  if (target?.kind === 'soft' && typeof probs !== 'string') throw new Error('example record probs is not base64');
  return {
    ...(value as TrainingExample),
    x: decodeFloat32(record.x),
    ...(typeof probs === 'string' ? { target: { kind: 'soft', probs: decodeFloat32(probs) } } : {}),
  };
}
