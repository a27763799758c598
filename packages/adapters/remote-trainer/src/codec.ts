import {
  Binary,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  tableToIPC,
  Utf8,
  type Data,
  type DataType,
} from 'apache-arrow';
import { DissonanceError, type Scalar, type TrainReport } from '@dissonance/core';
import { JOB_FORMAT, RESULT_FORMAT, type TrainingJob, type TrainingResult } from './contract.js';

const encoder = new TextEncoder();

/** A validity bitmap (bit set = value present, least significant bit first). */
function bitmap(length: number, valid: (i: number) => boolean): { bits: Uint8Array; nulls: number } {
  const bits = new Uint8Array(Math.ceil(length / 8));
  let nulls = 0;
  for (let i = 0; i < length; i++) {
    if (valid(i)) bits[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return { bits, nulls };
}

function utf8Data(values: readonly (string | null)[]): Data<Utf8> {
  const encoded = values.map((v) => (v === null ? new Uint8Array(0) : encoder.encode(v)));
  const offsets = new Int32Array(values.length + 1);
  for (let i = 0; i < encoded.length; i++) offsets[i + 1] = offsets[i]! + encoded[i]!.length;
  const bytes = new Uint8Array(offsets[values.length]!);
  encoded.forEach((e, i) => bytes.set(e, offsets[i]!));
  const { bits, nulls } = bitmap(values.length, (i) => values[i] !== null);
  return makeData({
    type: new Utf8(),
    length: values.length,
    nullCount: nulls,
    nullBitmap: nulls === 0 ? null : bits,
    valueOffsets: offsets,
    data: bytes,
  });
}

const listType = (size: number): FixedSizeList<Float32> =>
  new FixedSizeList(size, new Field('item', new Float32(), true));

/** `length` rows of `size` float32 values; rows where `valid` is false are null (their values zero). */
function fixedData(
  values: Float32Array,
  size: number,
  length: number,
  valid?: (i: number) => boolean,
): Data<FixedSizeList<Float32>> {
  const child = makeData({ type: new Float32(), length: length * size, nullCount: 0, data: values });
  const mask = valid === undefined ? { bits: null, nulls: 0 } : bitmap(length, valid);
  return makeData({
    type: listType(size),
    length,
    nullCount: mask.nulls,
    nullBitmap: mask.nulls === 0 ? null : mask.bits,
    child,
  });
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new DissonanceError('E_INPUT', `training job: ${message}`);
}

/** A number as `String(number)` prints it (the format's metadata values). */
const num = (value: number): string => String(value);

/**
 * Encodes a job as one Arrow IPC stream, the schema of `docs/external-trainers.md` ("Snapshot format"): the
 * examples (`role = "train"`) then the reference rows (`role = "reference"`, ids `ref:<i>`).
 *
 * @throws DissonanceError `E_INPUT` when an array's length does not match `rows`, `width`, `classes`.
 */
export function encodeJob(job: TrainingJob): Uint8Array {
  const { width, classes } = job;
  const n = job.ids.length;
  const r = job.referenceRows;
  const k = job.criticProbs.length;
  const total = n + r;
  const shape = job.inputShape ?? [width];
  check(
    Number.isInteger(width) && width >= 1 && Number.isInteger(classes) && classes >= 2,
    `width ${width} and classes ${classes}`,
  );
  check(job.x.length === n * width, `x has ${job.x.length} values, expected ${n} × ${width}`);
  check(
    job.labels.length === n && job.weights.length === n && job.provenance.length === n,
    'labels, weights and provenance need one entry per example',
  );
  check(job.targets.length === n * classes, `targets has ${job.targets.length} values, expected ${n} × ${classes}`);
  check(job.reference.length === r * width, `reference has ${job.reference.length} values, expected ${r} × ${width}`);
  check(
    job.referenceProbs.length === r * classes,
    `referenceProbs has ${job.referenceProbs.length} values, expected ${r} × ${classes}`,
  );
  check(shape.reduce((a, b) => a * b, 1) === width, `inputShape [${shape.join(',')}] does not hold ${width} features`);
  for (const critic of job.criticProbs)
    check(critic.length === n * classes, `a critic has ${critic.length} values, expected ${n} × ${classes}`);

  const isTrain = (i: number): boolean => i < n;
  const isReference = (i: number): boolean => i >= n;
  const x = new Float32Array(total * width);
  x.set(job.x);
  x.set(job.reference.subarray(0, r * width), n * width);
  const trainRows = (values: Float32Array | Float64Array): Float32Array => {
    const out = new Float32Array(total * classes);
    out.set(values.subarray(0, n * classes));
    return out;
  };
  const baseProbs = new Float32Array(total * classes);
  baseProbs.set(job.referenceProbs.subarray(0, r * classes), n * classes);

  const labels = new Int32Array(total);
  const labelMask = bitmap(total, (i) => i < n && job.labels[i] !== null);
  for (let i = 0; i < n; i++) labels[i] = job.labels[i] ?? 0;
  const weights = new Float64Array(total);
  weights.set(job.weights);
  const trainMask = bitmap(total, isTrain);

  const probs = listType(classes);
  const fields: Field[] = [
    new Field('id', new Utf8(), false),
    new Field('role', new Utf8(), false),
    new Field('x', listType(width), false),
    new Field('label', new Int32(), true),
    new Field('target', probs, true),
    new Field('weight', new Float64(), true),
    new Field('provenance', new Utf8(), true),
    ...job.criticProbs.map((_, j) => new Field(`critic_${j}`, listType(classes), true)),
    new Field('base_probs', listType(classes), true),
  ];
  const ids = [...job.ids];
  for (let i = 0; i < r; i++) ids.push(`ref:${i}`);
  const columns: Data<DataType>[] = [
    utf8Data(ids),
    utf8Data(Array.from({ length: total }, (_, i) => (i < n ? 'train' : 'reference'))),
    fixedData(x, width, total),
    makeData({
      type: new Int32(),
      length: total,
      nullCount: labelMask.nulls,
      nullBitmap: labelMask.nulls === 0 ? null : labelMask.bits,
      data: labels,
    }),
    fixedData(trainRows(job.targets), classes, total, isTrain),
    makeData({
      type: new Float64(),
      length: total,
      nullCount: trainMask.nulls,
      nullBitmap: trainMask.nulls === 0 ? null : trainMask.bits,
      data: weights,
    }),
    utf8Data(Array.from({ length: total }, (_, i) => (i < n ? job.provenance[i]! : null))),
    ...job.criticProbs.map((critic) => fixedData(trainRows(critic), classes, total, isTrain)),
    fixedData(baseProbs, classes, total, isReference),
  ];
  const c = job.constraints;
  const metadata = new Map<string, string>([
    ['dissonance.format', JOB_FORMAT],
    ['dissonance.job_id', job.jobId],
    ['dissonance.model', job.model],
    ['dissonance.base_version', job.baseVersion],
    ['dissonance.base_sha256', job.baseSha256],
    ['dissonance.width', String(width)],
    ['dissonance.classes', String(classes)],
    ['dissonance.critics', String(k)],
    ['dissonance.input_shape', JSON.stringify(shape)],
    ['dissonance.d_target', num(c.dTarget)],
    ['dissonance.lambda_max', num(c.lambdaMax)],
    ['dissonance.kl_eps', num(c.klEps)],
    ['dissonance.seed', String(Math.trunc(c.seed))],
    ['dissonance.divergence', c.divergence],
    ['dissonance.deadline_ms', String(Math.trunc(job.deadlineMs))],
  ]);
  if (job.resultUri !== undefined) metadata.set('dissonance.result_uri', job.resultUri);
  const schema = new Schema(fields, metadata);
  const struct = makeData({ type: new Struct(fields), length: total, nullCount: 0, children: columns });
  const table = new Table(schema, [new RecordBatch(schema, struct)]);
  return tableToIPC(table, 'stream');
}

function resultError(message: string): DissonanceError {
  return new DissonanceError('E_TRAINER', `training result: ${message}`);
}

function numberOr(value: unknown): number {
  return typeof value === 'number' ? value : Number.NaN;
}

/** Parses the result's `dissonance.report` JSON into a `TrainReport` (nulls in `loss`/`extra` read as NaN). */
export function reportFromJson(text: string): TrainReport {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw resultError('the report is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw resultError('the report is not a JSON object');
  const o = body as Record<string, unknown>;
  const loss = Array.isArray(o['loss']) ? (o['loss'] as unknown[]).map(numberOr) : [];
  const extra: Record<string, number> = {};
  if (typeof o['extra'] === 'object' && o['extra'] !== null)
    for (const [key, v] of Object.entries(o['extra'])) extra[key] = numberOr(v);
  const params: Record<string, Scalar> = {};
  if (typeof o['params'] === 'object' && o['params'] !== null) {
    for (const [key, v] of Object.entries(o['params']))
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params[key] = v;
  }
  return {
    loss,
    ...(typeof o['kl'] === 'number' ? { kl: o['kl'] } : {}),
    ...(typeof o['dissonance'] === 'number' ? { dissonance: o['dissonance'] } : {}),
    ...(typeof o['epochs'] === 'number' ? { epochs: o['epochs'] } : {}),
    extra,
    params,
  };
}

/**
 * Decodes a result stream (`docs/external-trainers.md`, "Result format"). Does not check the digest: the
 * trainer does that with the job id ({@link verifyResult}).
 *
 * @throws DissonanceError `E_TRAINER` for bytes that are not a result of this format.
 */
export function decodeResult(bytes: Uint8Array): TrainingResult {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw resultError(`not an Arrow IPC stream (${error instanceof Error ? error.message : String(error)})`);
  }
  const meta = table.schema.metadata;
  const format = meta.get('dissonance.format');
  if (format !== RESULT_FORMAT)
    throw resultError(
      `dissonance.format is ${JSON.stringify(format ?? null)}, expected ${JSON.stringify(RESULT_FORMAT)}`,
    );
  for (const key of ['dissonance.job_id', 'dissonance.sha256', 'dissonance.report']) {
    if (!meta.has(key)) throw resultError(`schema metadata ${key} is missing`);
  }
  const column = table.getChild('onnx');
  if (table.numRows !== 1 || column === null) throw resultError('expected one row with an onnx column');
  const onnx: unknown = column.get(0);
  if (onnx !== null && !(onnx instanceof Uint8Array)) throw resultError('the onnx column is not binary');
  const uri = meta.get('dissonance.uri');
  return {
    jobId: meta.get('dissonance.job_id')!,
    sha256: meta.get('dissonance.sha256')!,
    ...(onnx === null ? {} : { onnx: onnx.slice() }),
    ...(uri === undefined ? {} : { uri }),
    report: reportFromJson(meta.get('dissonance.report')!),
  };
}

/** A non-finite number as JSON null. */
const finite = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

/** Encodes a result stream, as the Python worker does (for tests, and for trainers written in TypeScript). */
export function encodeResult(result: TrainingResult): Uint8Array {
  const report = result.report;
  const json = JSON.stringify({
    loss: report.loss.map(finite),
    ...(report.kl === undefined ? {} : { kl: finite(report.kl) }),
    ...(report.dissonance === undefined ? {} : { dissonance: finite(report.dissonance) }),
    ...(report.epochs === undefined ? {} : { epochs: report.epochs }),
    extra: Object.fromEntries(
      Object.entries(report.extra ?? ({} as Record<string, number>)).map(([key, v]) => [key, finite(v)]),
    ),
    params: report.params ?? {},
  });
  const metadata = new Map<string, string>([
    ['dissonance.format', RESULT_FORMAT],
    ['dissonance.job_id', result.jobId],
    ['dissonance.sha256', result.sha256],
    ['dissonance.report', json],
  ]);
  if (result.uri !== undefined) metadata.set('dissonance.uri', result.uri);
  const fields = [new Field('onnx', new Binary(), true)];
  const bytes = result.onnx ?? new Uint8Array(0);
  const data = makeData({
    type: new Binary(),
    length: 1,
    nullCount: result.onnx === undefined ? 1 : 0,
    nullBitmap: result.onnx === undefined ? new Uint8Array(1) : null,
    valueOffsets: new Int32Array([0, bytes.length]),
    data: bytes,
  });
  const schema = new Schema(fields, metadata);
  const struct = makeData({ type: new Struct(fields), length: 1, nullCount: 0, children: [data] });
  return tableToIPC(new Table(schema, [new RecordBatch(schema, struct)]), 'stream');
}
