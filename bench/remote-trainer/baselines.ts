import {
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
  tableToIPC,
  vectorFromArray,
  Utf8,
  type Data,
  type DataType,
} from 'apache-arrow';
import type { TrainingJob } from '../../packages/adapters/remote-trainer/src/index.js';

const list = (size: number): FixedSizeList<Float32> => new FixedSizeList(size, new Field('item', new Float32(), true));

function fixed(values: Float32Array, size: number): Data<FixedSizeList<Float32>> {
  const length = values.length / size;
  const child = makeData({ type: new Float32(), length: values.length, nullCount: 0, data: values });
  return makeData({ type: list(size), length, nullCount: 0, child });
}

/**
 * The same arrays as a plain Arrow table, the way one would write them without the job format: one
 * record batch per part (examples, then reference rows; no role column, no null masks, no metadata), strings
 * through `vectorFromArray`, then `tableToIPC(…, 'stream')` of each. The floor of what an Arrow encode costs.
 */
export function plainArrow(job: TrainingJob): number {
  const { width, classes } = job;
  const n = job.ids.length;
  const labels = Int32Array.from(job.labels, (v) => v ?? -1);
  const targets = job.targets instanceof Float32Array ? job.targets : Float32Array.from(job.targets);
  const examples: [Field, Data<DataType>][] = [
    [new Field('id', new Utf8()), vectorFromArray(job.ids, new Utf8()).data[0]!],
    [new Field('x', list(width)), fixed(job.x, width)],
    [new Field('label', new Int32()), makeData({ type: new Int32(), length: n, data: labels })],
    [new Field('target', list(classes)), fixed(targets, classes)],
    [new Field('weight', new Float64()), makeData({ type: new Float64(), length: n, data: job.weights })],
    [new Field('provenance', new Utf8()), vectorFromArray(job.provenance, new Utf8()).data[0]!],
    ...job.criticProbs.map((c, j): [Field, Data<DataType>] => [
      new Field(`critic_${j}`, list(classes)),
      fixed(c, classes),
    ]),
  ];
  const reference: [Field, Data<DataType>][] = [
    [new Field('x', list(width)), fixed(job.reference, width)],
    [new Field('base_probs', list(classes)), fixed(job.referenceProbs, classes)],
  ];
  let bytes = 0;
  for (const part of [examples, reference]) {
    const fields = part.map(([f]) => f);
    const schema = new Schema(fields);
    const length = part[0]![1].length;
    const struct = makeData({ type: new Struct(fields), length, nullCount: 0, children: part.map(([, d]) => d) });
    bytes += tableToIPC(new Table(schema, [new RecordBatch(schema, struct)]), 'stream').byteLength;
  }
  return bytes;
}

/** The same arrays as JSON text (typed arrays as number arrays), UTF-8 encoded: bytes. */
export function plainJson(job: TrainingJob): number {
  const text = JSON.stringify({
    jobId: job.jobId,
    ids: job.ids,
    x: Array.from(job.x),
    labels: job.labels,
    targets: Array.from(job.targets),
    weights: Array.from(job.weights),
    provenance: job.provenance,
    critics: job.criticProbs.map((c) => Array.from(c)),
    reference: Array.from(job.reference),
    referenceProbs: Array.from(job.referenceProbs),
    constraints: job.constraints,
  });
  return new TextEncoder().encode(text).byteLength;
}
