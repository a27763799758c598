import { DissonanceError } from '../errors.js';
import { ProtoReader } from './protobuf-reader.js';
import { ProtoWriter } from './protobuf-writer.js';

/** Two ONNX models as one: what {@link pairOnnxGraphs} returns. */
export interface PairedOnnxGraphs {
  /** The model holding both graphs side by side; the second reads the first's input. */
  readonly bytes: Uint8Array;
  /** The first model's data input: the one input the paired model takes. */
  readonly input: string;
  /** A name of the second model (an output, say) as it reads in the paired model. */
  secondName(name: string): string;
}

// Field numbers of onnx.proto3 (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
const MODEL_IR_VERSION = 1;
const MODEL_GRAPH = 7;
const MODEL_OPSET_IMPORT = 8;
const MODEL_FUNCTIONS = 25;
const GRAPH_NODE = 1;
const GRAPH_NAME = 2;
const GRAPH_INITIALIZER = 5;
const GRAPH_DOC_STRING = 10;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const GRAPH_QUANTIZATION_ANNOTATION = 14;
const GRAPH_SPARSE_INITIALIZER = 15;
const GRAPH_METADATA_PROPS = 16;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_NAME = 3;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_GRAPHS = 11;
const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const VALUE_INFO_NAME = 1;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;

/**
 * Puts two ONNX models into one, side by side: the second graph's nodes, initializers and outputs are appended
 * to the first's under prefixed names, and the second's data input is wired to the first's, so one session
 * run computes both models on the same rows. Only names are rewritten; every other field is copied byte for
 * byte, so operators, attributes and weights this SDK does not decode pass through unchanged.
 *
 * Throws `E_MODEL` naming the reason when the two cannot be paired this way: a graph with more or fewer than
 * one data input, a subgraph (`If`, `Loop`, `Scan`: it may read outer names), local functions or sparse
 * initializers in the second model, weights stored outside the file, or an operator set imported at two
 * different versions.
 */
export function pairOnnxGraphs(first: Uint8Array, second: Uint8Array): PairedOnnxGraphs {
  const a = readModel(first, 'first');
  const b = readModel(second, 'second');
  if (b.functions) throw refuse('the second model defines local functions');
  // '' and 'ai.onnx' name the same (default) operator set.
  const domain = (name: string): string => (name === 'ai.onnx' ? '' : name);
  const opsets = new Map(a.opsets.map((o) => [domain(o.domain), o.version]));
  const extraOpsets: Uint8Array[] = [];
  for (const o of b.opsets) {
    const version = opsets.get(domain(o.domain));
    if (version === undefined) extraOpsets.push(o.bytes);
    else if (version !== o.version) {
      throw refuse(
        `operator set "${domain(o.domain) || 'ai.onnx'}" is version ${version} in one model, ${o.version} in the other`,
      );
    }
  }
  const aGraph = readGraphNames(first, a.graph, 'first');
  const bGraph = readGraphNames(second, b.graph, 'second');
  let n = 0;
  while (aGraph.names.some((name) => name.startsWith(prefixOf(n)))) n++;
  const prefix = prefixOf(n);
  const rename = (name: string): string => (name === bGraph.input ? aGraph.input : name === '' ? '' : prefix + name);

  const graph = new ProtoWriter();
  graph.raw(first.subarray(a.graph.start, a.graph.end));
  appendRenamedGraph(second, b.graph, bGraph.input, rename, graph);

  const model = new ProtoWriter();
  model.uint(MODEL_IR_VERSION, Math.max(a.irVersion, b.irVersion));
  const r = new ProtoReader(first);
  while (!r.done) {
    const start = r.pos;
    const { field, wire } = r.tag();
    r.skip(wire);
    if (field === MODEL_IR_VERSION) continue;
    if (field === MODEL_GRAPH) model.message(MODEL_GRAPH, graph);
    else model.raw(first.subarray(start, r.pos));
  }
  for (const opset of extraOpsets) model.bytes(MODEL_OPSET_IMPORT, opset);
  return { bytes: model.finish(), input: aGraph.input, secondName: (name) => prefix + name };
}

const prefixOf = (n: number): string => (n === 0 ? 'dissonance.second/' : `dissonance.second${n}/`);

function refuse(why: string): DissonanceError {
  return new DissonanceError('E_MODEL', `cannot pair these ONNX models: ${why}`);
}

interface Region {
  readonly start: number;
  readonly end: number;
}

interface ModelFacts {
  readonly irVersion: number;
  readonly graph: Region;
  readonly opsets: { readonly domain: string; readonly version: number; readonly bytes: Uint8Array }[];
  readonly functions: boolean;
}

function readModel(bytes: Uint8Array, which: string): ModelFacts {
  const r = new ProtoReader(bytes);
  let irVersion = 0;
  let graph: Region | undefined;
  let functions = false;
  const opsets: ModelFacts['opsets'] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === MODEL_IR_VERSION && wire === 0) irVersion = r.int64();
    else if (field === MODEL_GRAPH && wire === 2) {
      if (graph !== undefined) throw refuse(`the ${which} model has two graph fields`);
      const g = r.message();
      graph = { start: g.pos, end: g.end };
      r.pos = g.end;
    } else if (field === MODEL_OPSET_IMPORT && wire === 2) {
      const o = r.message();
      const view = bytes.subarray(o.pos, o.end);
      let domain = '';
      let version = 0;
      while (!o.done) {
        const t = o.tag();
        if (t.field === OPSET_DOMAIN && t.wire === 2) domain = o.string();
        else if (t.field === OPSET_VERSION && t.wire === 0) version = o.int64();
        else o.skip(t.wire);
      }
      opsets.push({ domain, version, bytes: view });
    } else {
      if (field === MODEL_FUNCTIONS) functions = true;
      r.skip(wire);
    }
  }
  if (graph === undefined) throw refuse(`the ${which} model has no graph`);
  return { irVersion, graph, opsets, functions };
}

/** Every name the graph defines or reads, and its one data input (an input that no initializer feeds). */
function readGraphNames(bytes: Uint8Array, region: Region, which: string): { names: string[]; input: string } {
  const names: string[] = [];
  const inputs: string[] = [];
  const initializers = new Set<string>();
  const r = new ProtoReader(bytes, region.start, region.end);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (wire !== 2) {
      r.skip(wire);
      continue;
    }
    const m = r.message();
    r.pos = m.end;
    if (field === GRAPH_NODE) {
      names.push(...stringFields(m, [NODE_INPUT, NODE_OUTPUT, NODE_NAME]));
    } else if (field === GRAPH_INITIALIZER) {
      for (const name of stringFields(m, [TENSOR_NAME])) initializers.add(name);
    } else if (field === GRAPH_INPUT) {
      inputs.push(...stringFields(m, [VALUE_INFO_NAME]));
    } else if (field === GRAPH_OUTPUT || field === GRAPH_VALUE_INFO) {
      names.push(...stringFields(m, [VALUE_INFO_NAME]));
    }
  }
  names.push(...initializers, ...inputs);
  const data = inputs.filter((name) => !initializers.has(name));
  if (data.length !== 1) throw refuse(`the ${which} model has ${data.length} data inputs, not one`);
  return { names, input: data[0]! };
}

function stringFields(m: ProtoReader, fields: readonly number[]): string[] {
  const out: string[] = [];
  while (!m.done) {
    const { field, wire } = m.tag();
    if (wire === 2 && fields.includes(field)) out.push(m.string());
    else m.skip(wire);
  }
  return out;
}

/** Appends the second graph's fields to `out` under new names; drops its data input, name and annotations. */
function appendRenamedGraph(
  bytes: Uint8Array,
  region: Region,
  dataInput: string,
  rename: (name: string) => string,
  out: ProtoWriter,
): void {
  const r = new ProtoReader(bytes, region.start, region.end);
  while (!r.done) {
    const start = r.pos;
    const { field, wire } = r.tag();
    if (wire !== 2) {
      r.skip(wire);
      out.raw(bytes.subarray(start, r.pos));
      continue;
    }
    const m = r.message();
    r.pos = m.end;
    switch (field) {
      case GRAPH_NODE:
        out.message(field, renamed(bytes, m, [NODE_INPUT, NODE_OUTPUT, NODE_NAME], rename, checkNodeField));
        break;
      case GRAPH_INITIALIZER:
        out.message(field, renamed(bytes, m, [TENSOR_NAME], rename, checkTensorField));
        break;
      case GRAPH_INPUT:
      case GRAPH_VALUE_INFO: {
        // The data input is the first graph's now: its declaration (and any shape note on it) is the first's.
        const [name] = stringFields(new ProtoReader(bytes, m.pos, m.end), [VALUE_INFO_NAME]);
        if (name !== dataInput) out.message(field, renamed(bytes, m, [VALUE_INFO_NAME], rename));
        break;
      }
      case GRAPH_OUTPUT:
        out.message(field, renamed(bytes, m, [VALUE_INFO_NAME], rename));
        break;
      case GRAPH_SPARSE_INITIALIZER:
        throw refuse('the second model has sparse initializers');
      case GRAPH_NAME:
      case GRAPH_DOC_STRING:
      case GRAPH_QUANTIZATION_ANNOTATION:
      case GRAPH_METADATA_PROPS:
        break;
      default:
        out.raw(bytes.subarray(start, r.pos));
    }
  }
}

/** A copy of message `m` with its string fields `fields` renamed; `check` sees every other field first. */
function renamed(
  bytes: Uint8Array,
  m: ProtoReader,
  fields: readonly number[],
  rename: (name: string) => string,
  check?: (field: number, wire: number, value: ProtoReader) => void,
): ProtoWriter {
  const out = new ProtoWriter();
  while (!m.done) {
    const start = m.pos;
    const { field, wire } = m.tag();
    if (wire === 2 && fields.includes(field)) {
      out.string(field, rename(m.string()));
      continue;
    }
    if (check !== undefined) {
      const valueStart = m.pos;
      m.skip(wire);
      check(field, wire, new ProtoReader(bytes, valueStart, m.pos));
    } else m.skip(wire);
    out.raw(bytes.subarray(start, m.pos));
  }
  return out;
}

function checkNodeField(field: number, wire: number, value: ProtoReader): void {
  if (field !== NODE_ATTRIBUTE || wire !== 2) return;
  const attribute = value.message();
  while (!attribute.done) {
    const t = attribute.tag();
    if (t.field === ATTRIBUTE_GRAPH || t.field === ATTRIBUTE_GRAPHS) {
      throw refuse('the second model has a subgraph (If, Loop or Scan)');
    }
    attribute.skip(t.wire);
  }
}

function checkTensorField(field: number, wire: number, value: ProtoReader): void {
  if (field === TENSOR_EXTERNAL_DATA || (field === TENSOR_DATA_LOCATION && wire === 0 && value.uint() === 1)) {
    throw refuse('the second model keeps weights outside the file');
  }
}
