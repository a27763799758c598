import { DissonanceError, type Lineage, type ModelVersion, type Scalar } from '@dissonance/core';
import type { StoredManifest, TagList } from './manifest-tags.js';

/** Model-version tag that marks the one-tag-per-fact layout; its value is the layout version (`2`). */
export const LAYOUT_TAG = 'dissonance.layout';
/** Prefixes of the open-ended facts: `dissonance.metric.<key>`, `dissonance.param.<key>`, `dissonance.tag.<key>`. */
const METRIC = 'dissonance.metric.';
const PARAM = 'dissonance.param.';
const TAG = 'dissonance.tag.';
/** Entries whose key MLflow would refuse in a tag key, as JSON `{ metrics, params, tags }`. */
const EXTRA = 'dissonance.extra';

/** Manifest fields with a fixed tag each. */
const FIXED = {
  format: 'dissonance.format',
  sha256: 'dissonance.sha256',
  size: 'dissonance.size',
  inputWidth: 'dissonance.input_width',
  classes: 'dissonance.classes',
  createdAt: 'dissonance.created_at',
} as const;
/** Well-known metrics, tags and lineage fields, tagged under a short name the MLflow UI can sort and filter by. */
const NAMED_METRICS: Readonly<Record<string, string>> = {
  golden_accuracy: 'dissonance.golden_accuracy',
  kl: 'dissonance.kl',
};
const NAMED_TAGS: Readonly<Record<string, string>> = {
  decision: 'dissonance.decision',
  reason: 'dissonance.reason',
  'dissonance.signature': 'dissonance.signature',
  'dissonance.signature.keyId': 'dissonance.signature_key',
};
const LINEAGE = {
  parent: 'dissonance.parent_version',
  examples: 'dissonance.examples',
  dissonanceMean: 'dissonance.dissonance_mean',
  traceId: 'dissonance.trace_id',
} as const;
/** What MLflow accepts in a tag key (letters, digits, `_ - . space : /`), 250 characters at most, no `..`. */
const SAFE_KEY = /^[A-Za-z0-9_. :/-]{1,200}$/;

/**
 * The model-version tags of a manifest, one per fact: the fixed `dissonance.format|sha256|size|input_width|
 * classes|created_at`, `dissonance.golden_accuracy`, `dissonance.kl`, `dissonance.decision`, `dissonance.reason`,
 * `dissonance.parent_version`, `dissonance.examples`, `dissonance.dissonance_mean`, `dissonance.trace_id`,
 * `dissonance.signature`, `dissonance.signature_key`, then `dissonance.metric.<k>`, `dissonance.param.<k>`,
 * `dissonance.tag.<k>` for the rest and {@link LAYOUT_TAG}. Param values keep their type: strings as written
 * (JSON-quoted only when they would read back as a number, a boolean or a quoted string), numbers and booleans
 * as JSON. Keys MLflow refuses in a tag key go to one `dissonance.extra` JSON tag.
 */
export function encodeVersionTags(m: StoredManifest): Record<string, string> {
  const out: Record<string, string> = {
    [LAYOUT_TAG]: '2',
    [FIXED.format]: m.format,
    [FIXED.sha256]: m.sha256,
    [FIXED.size]: String(m.size),
    [FIXED.inputWidth]: String(m.inputWidth),
    [FIXED.classes]: String(m.classes),
    [FIXED.createdAt]: m.createdAt,
  };
  const extra: { metrics: Record<string, number>; params: Record<string, Scalar>; tags: Record<string, string> } = {
    metrics: {},
    params: {},
    tags: {},
  };
  const put = (
    key: string | undefined,
    fallback: string,
    rawKey: string,
    value: string,
    bucket: Record<string, unknown>,
    raw: unknown,
  ): void => {
    if (key !== undefined) out[key] = value;
    else if (SAFE_KEY.test(rawKey) && !rawKey.includes('..')) out[fallback + rawKey] = value;
    else bucket[rawKey] = raw;
  };
  for (const [k, v] of Object.entries(m.metrics)) put(NAMED_METRICS[k], METRIC, k, String(v), extra.metrics, v);
  for (const [k, v] of Object.entries(m.params)) put(undefined, PARAM, k, encodeParam(v), extra.params, v);
  for (const [k, v] of Object.entries(m.tags)) put(NAMED_TAGS[k], TAG, k, v, extra.tags, v);
  const { parent, examples, dissonanceMean, traceId } = m.lineage;
  if (parent !== undefined) out[LINEAGE.parent] = parent;
  if (examples !== undefined) out[LINEAGE.examples] = String(examples);
  if (dissonanceMean !== undefined) out[LINEAGE.dissonanceMean] = String(dissonanceMean);
  if (traceId !== undefined) out[LINEAGE.traceId] = traceId;
  if (Object.keys(extra.metrics).length + Object.keys(extra.params).length + Object.keys(extra.tags).length > 0)
    out[EXTRA] = JSON.stringify(extra);
  return out;
}

/** Whether a version's tags hold the one-tag-per-fact layout. */
export function hasVersionFacts(tags: TagList | undefined): boolean {
  return tags?.some((t) => t.key === LAYOUT_TAG) ?? false;
}

/** Rebuilds the frozen {@link ModelVersion} from tags written by {@link encodeVersionTags} (`E_MODEL` when malformed). */
export function decodeVersionTags(name: string, version: string, list: TagList | undefined): ModelVersion {
  const fail = (problem: string): DissonanceError =>
    new DissonanceError('E_MODEL', `mlflow: model ${name} version ${version}: ${problem}`, {
      details: { name, version },
    });
  const tags = new Map<string, string>();
  for (const t of list ?? []) if (t.value !== undefined) tags.set(t.key, t.value);
  const str = (key: string): string => {
    const value = tags.get(key);
    if (value === undefined) throw fail(`tag ${key} is missing`);
    return value;
  };
  const int = (key: string): number => {
    const value = Number(str(key));
    if (!Number.isSafeInteger(value) || value < 0 || !/^[0-9]+$/.test(str(key)))
      throw fail(`tag ${key} is not an integer`);
    return value;
  };
  const num = (key: string, value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw fail(`tag ${key} is not a number`);
    return n;
  };
  const sha256 = str(FIXED.sha256);
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw fail(`tag ${FIXED.sha256} is not 64 hex digits`);
  const metrics: Record<string, number> = {};
  const params: Record<string, Scalar> = {};
  const userTags: Record<string, string> = {};
  const set = <T>(record: Record<string, T>, key: string, value: T): void => {
    Object.defineProperty(record, key, { value, enumerable: true });
  };
  for (const [k, tag] of Object.entries(NAMED_METRICS)) if (tags.has(tag)) set(metrics, k, num(tag, str(tag)));
  for (const [k, tag] of Object.entries(NAMED_TAGS)) if (tags.has(tag)) set(userTags, k, str(tag));
  for (const [key, value] of tags) {
    if (key.startsWith(METRIC)) set(metrics, key.slice(METRIC.length), num(key, value));
    else if (key.startsWith(PARAM)) set(params, key.slice(PARAM.length), decodeParam(value));
    else if (key.startsWith(TAG)) set(userTags, key.slice(TAG.length), value);
  }
  const extraText = tags.get(EXTRA);
  if (extraText !== undefined) {
    let extra: unknown;
    try {
      extra = JSON.parse(extraText);
    } catch {
      throw fail(`tag ${EXTRA} is not JSON`);
    }
    const e = (typeof extra === 'object' && extra !== null ? extra : {}) as Record<string, unknown>;
    const entries = (v: unknown): [string, unknown][] =>
      typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.entries(v) : [];
    for (const [k, v] of entries(e.metrics)) {
      if (typeof v !== 'number') throw fail(`tag ${EXTRA} is malformed`);
      set(metrics, k, v);
    }
    for (const [k, v] of entries(e.params)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
        throw fail(`tag ${EXTRA} is malformed`);
      set(params, k, v);
    }
    for (const [k, v] of entries(e.tags)) {
      if (typeof v !== 'string') throw fail(`tag ${EXTRA} is malformed`);
      set(userTags, k, v);
    }
  }
  const lineage: { -readonly [K in keyof Lineage]: Lineage[K] } = {};
  if (tags.has(LINEAGE.parent)) lineage.parent = str(LINEAGE.parent);
  if (tags.has(LINEAGE.examples)) lineage.examples = num(LINEAGE.examples, str(LINEAGE.examples));
  if (tags.has(LINEAGE.dissonanceMean))
    lineage.dissonanceMean = num(LINEAGE.dissonanceMean, str(LINEAGE.dissonanceMean));
  if (tags.has(LINEAGE.traceId)) lineage.traceId = str(LINEAGE.traceId);
  return Object.freeze({
    name,
    version,
    format: str(FIXED.format),
    sha256,
    size: int(FIXED.size),
    inputWidth: int(FIXED.inputWidth),
    classes: int(FIXED.classes),
    createdAt: str(FIXED.createdAt),
    metrics: Object.freeze(metrics),
    params: Object.freeze(params),
    tags: Object.freeze(userTags),
    lineage: Object.freeze(lineage),
  });
}

/**
 * The version description, one line: format and shape, golden accuracy, KL, decision, parent, short sha256 and
 * signing key, e.g. `dissonance onnx 64→10 · golden_accuracy 0.9123 · kl 0.0153 · decision accepted · parent 3 ·
 * sha256 4f1c…`.
 */
export function describeVersion(m: StoredManifest): string {
  const parts = [`dissonance ${m.format} ${m.inputWidth}→${m.classes}`];
  const accuracy = m.metrics.golden_accuracy;
  if (accuracy !== undefined) parts.push(`golden_accuracy ${round(accuracy)}`);
  if (m.metrics.kl !== undefined) parts.push(`kl ${round(m.metrics.kl)}`);
  if (m.tags.decision !== undefined) parts.push(`decision ${oneLine(m.tags.decision)}`);
  if (m.lineage.parent !== undefined) parts.push(`parent ${m.lineage.parent}`);
  parts.push(`sha256 ${m.sha256.slice(0, 12)}…`);
  const key = m.tags['dissonance.signature.keyId'];
  parts.push(key === undefined ? 'unsigned' : `signed by ${oneLine(key)}`);
  return parts.join(' · ');
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 80);
}

const AMBIGUOUS = /^(true|false|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?|".*)$/s;

function encodeParam(value: Scalar): string {
  if (typeof value === 'string') return AMBIGUOUS.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

function decodeParam(text: string): Scalar {
  if (!AMBIGUOUS.test(text)) return text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'string' || typeof parsed === 'number' || typeof parsed === 'boolean') return parsed;
  } catch {
    // an unquoted string that merely starts with a quote: kept as written
  }
  return text;
}
