import { DissonanceError, type Batch, type TrainingExample } from '@dissonance/core';
import { decodeBatch, decodeFloat32, encodeBatch, checkedExampleCopy } from '@dissonance/core/adapter-kit';
import { decodeExample, exampleRecord, type ExampleRecord } from '../files/example-record.js';

/** Envelope types of the three stage hops (and the progress reports the retrain stage sends back). */
export const STAGE_MESSAGE_TYPES = {
  items: 'dissonance.items',
  predictions: 'dissonance.predictions',
  examples: 'dissonance.examples',
  progress: 'dissonance.progress',
} as const;

/** Default topics of the stage hops. */
export const STAGE_TOPICS = {
  items: 'dissonance.items',
  predictions: 'dissonance.predictions',
  examples: 'dissonance.examples',
  progress: 'dissonance.progress',
} as const;

/**
 * Small JSON facts a producer attaches to a batch (a sequence number, a round marker); every stage passes
 * them on unchanged so the last stage and the producer can act on them.
 */
export type StageMeta = Readonly<Record<string, string | number | boolean>>;

/** Items for the generate stage: a batch and its meta. */
export interface ItemsMessage {
  readonly batch: Batch;
  readonly meta: StageMeta;
}

/** What the generate stage sends on: the batch, the proposer's probabilities and which version answered. */
export interface PredictionsMessage extends ItemsMessage {
  readonly classes: number;
  readonly probabilities: Float32Array;
  readonly versions: readonly string[];
}

/** What the detect + reconcile stage sends on: the examples the batch produced and its outcome counts. */
export interface ExamplesMessage {
  readonly examples: readonly TrainingExample[];
  readonly rows: number;
  readonly outcome: {
    readonly examples: number;
    readonly unlabelled: number;
    readonly blocked: number;
    readonly deferred: number;
  };
  readonly meta: StageMeta;
}

/** What the retrain stage reports once a batch's examples are stored (and any retrain it ran is done). */
export interface ProgressMessage {
  /** Id of the examples envelope this reports on. */
  readonly source: string;
  readonly meta: StageMeta;
  /** Champion version after this batch. */
  readonly champion: string;
  /** Examples held in the replay buffer. */
  readonly examplesHeld: number;
  /** The retrain this batch triggered, if any. */
  readonly retrain?: {
    readonly candidate: string;
    readonly decision: string;
    readonly reason: string;
    readonly goldenAccuracy?: number;
  };
}

type Json = Record<string, unknown>;

/** Wire form of {@link ItemsMessage}. */
export function encodeItems(message: ItemsMessage, width: number): Json {
  return { batch: encodeBatch(message.batch, width), meta: { ...message.meta } };
}

/** Checks and decodes an items payload; `E_ENVELOPE` names the problem. */
export function decodeItems(payload: unknown): ItemsMessage {
  const p = asObject(payload, 'items');
  return { batch: decodeBatch(p['batch']), meta: decodeMeta(p['meta']) };
}

/** Wire form of {@link PredictionsMessage}: probabilities as a `Float32Array` copy (raw bytes on the wire frame). */
export function encodePredictions(message: PredictionsMessage, width: number): Json {
  return {
    ...encodeItems(message, width),
    classes: message.classes,
    probabilities: message.probabilities.slice(),
    versions: [...message.versions],
  };
}

/** Checks and decodes a predictions payload; `E_ENVELOPE` names the problem. */
export function decodePredictions(payload: unknown): PredictionsMessage {
  const items = decodeItems(payload);
  const p = asObject(payload, 'predictions');
  const classes = p['classes'];
  if (typeof classes !== 'number' || !Number.isSafeInteger(classes) || classes < 2)
    throw invalid('predictions.classes', 'must be an integer ≥ 2');
  const raw = p['probabilities'];
  if (!(raw instanceof Float32Array) && typeof raw !== 'string')
    throw invalid('predictions.probabilities', 'must be float32 values or their base64');
  const probabilities = typeof raw === 'string' ? decodeFloat32(raw) : raw;
  if (probabilities.length !== items.batch.rows * classes) {
    throw invalid(
      'predictions.probabilities',
      `holds ${probabilities.length} values, expected rows × classes = ${items.batch.rows * classes}`,
    );
  }
  const versions = p['versions'];
  if (
    !Array.isArray(versions) ||
    versions.length !== items.batch.rows ||
    !versions.every((v) => typeof v === 'string')
  ) {
    throw invalid('predictions.versions', 'must name one version per row');
  }
  return { ...items, classes, probabilities, versions: versions as string[] };
}

/** Wire form of {@link ExamplesMessage}. */
export function encodeExamples(message: ExamplesMessage): Json {
  return {
    examples: message.examples.map(exampleRecord),
    rows: message.rows,
    outcome: { ...message.outcome },
    meta: { ...message.meta },
  };
}

/** Checks and decodes an examples payload (every example checked as the stores check them); `E_ENVELOPE` on a problem. */
export function decodeExamples(payload: unknown): ExamplesMessage {
  const p = asObject(payload, 'examples');
  const records = p['examples'];
  if (!Array.isArray(records)) throw invalid('examples.examples', 'must be an array');
  let examples: TrainingExample[];
  try {
    examples = records.map((record: ExampleRecord, i) => checkedExampleCopy(decodeExample(record), `examples[${i}]`));
  } catch (error) {
    throw invalid('examples.examples', error instanceof Error ? error.message : String(error));
  }
  const rows = p['rows'];
  if (typeof rows !== 'number' || !Number.isSafeInteger(rows) || rows < 0)
    throw invalid('examples.rows', 'must be an integer ≥ 0');
  const o = asObject(p['outcome'], 'examples.outcome');
  const count = (key: string): number => {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw invalid(`examples.outcome.${key}`, 'must be an integer ≥ 0');
    return v;
  };
  return {
    examples,
    rows,
    outcome: {
      examples: count('examples'),
      unlabelled: count('unlabelled'),
      blocked: count('blocked'),
      deferred: count('deferred'),
    },
    meta: decodeMeta(p['meta']),
  };
}

/** Checks a progress payload; `E_ENVELOPE` names the problem. */
export function decodeProgress(payload: unknown): ProgressMessage {
  const p = asObject(payload, 'progress');
  if (typeof p['source'] !== 'string' || typeof p['champion'] !== 'string')
    throw invalid('progress', 'needs source and champion strings');
  if (typeof p['examplesHeld'] !== 'number') throw invalid('progress.examplesHeld', 'must be a number');
  return p as unknown as ProgressMessage;
}

function decodeMeta(value: unknown): StageMeta {
  if (value === undefined) return {};
  const meta = asObject(value, 'meta');
  for (const [key, v] of Object.entries(meta)) {
    if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
      throw invalid(`meta.${key}`, 'must be a string, a finite number or a boolean');
    }
  }
  return meta as StageMeta;
}

function asObject(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(where, 'must be an object');
  return value as Json;
}

function invalid(where: string, problem: string): DissonanceError {
  return new DissonanceError('E_ENVELOPE', `invalid stage message: ${where}: ${problem}`, {
    details: { field: where },
  });
}
