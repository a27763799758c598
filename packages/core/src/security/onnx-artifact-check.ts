import { DissonanceError } from '../errors.js';
import { ProtoReader, expectWire } from '../onnx/protobuf-reader.js';

/** Options of {@link checkOnnxArtifact}. */
export interface OnnxArtifactCheckOptions {
  /** Largest artifact accepted, in bytes (default 512 MiB). */
  readonly maxBytes?: number;
  /** Names the artifact in error messages. */
  readonly what?: string;
}

/** Default size cap of an ONNX artifact: 512 MiB. */
export const DEFAULT_MAX_ONNX_BYTES = 512 * 1024 * 1024;
/** ModelProto begins with field 1 (ir_version) as a varint: tag byte 0x08, as every ONNX writer emits it. */
const MODEL_MAGIC = 0x08;
const MAX_IR_VERSION = 64;
/** Deepest nesting of graphs in attributes (If/Loop bodies) that is walked. */
const MAX_DEPTH = 32;

/**
 * Checks that bytes are an ONNX model safe to hand to a runtime, without trusting them: at most `maxBytes`;
 * a `ModelProto` (first field `ir_version`, a plausible value, a `graph`; the whole message well-formed);
 * and no tensor — initializers, sparse initializers, attribute tensors, in subgraphs, training info and
 * functions — whose external data (`data_location = EXTERNAL`) has no `location` or one outside the model's
 * own folder (an absolute path, a drive letter, a `..` segment). Refusals are `E_MODEL` with `details.reason`
 * (`size`, `not-onnx`, `external-data`).
 */
export function checkOnnxArtifact(bytes: Uint8Array, options: OnnxArtifactCheckOptions = {}): void {
  const what = options.what ?? 'ONNX artifact';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ONNX_BYTES;
  if (!(bytes instanceof Uint8Array)) throw new DissonanceError('E_INPUT', `${what}: bytes must be a Uint8Array`);
  if (bytes.byteLength > maxBytes) {
    throw refuse(what, `holds ${bytes.byteLength} bytes, more than the limit of ${maxBytes}`, 'size');
  }
  if (bytes.byteLength === 0 || bytes[0] !== MODEL_MAGIC) {
    throw refuse(what, 'is not an ONNX model (it does not start with ModelProto.ir_version)', 'not-onnx');
  }
  try {
    walkModel(new ProtoReader(bytes), what);
  } catch (error) {
    if (error instanceof DissonanceError && error.details.reason !== undefined) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw refuse(what, `is not a well-formed ONNX model (${reason})`, 'not-onnx');
  }
}

function walkModel(r: ProtoReader, what: string): void {
  let irVersion: number | undefined;
  let graph = false;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) {
      expectWire(wire, 0, 'ModelProto.ir_version');
      irVersion = r.int64();
    } else if (field === 7) {
      graph = true;
      walkGraph(message(r, wire), what, 0);
    } else if (field === 20) {
      walkFields(message(r, wire), { 1: graphWalker, 2: graphWalker }, what, 0);
    } else if (field === 25) {
      walkFields(message(r, wire), { 7: nodeWalker }, what, 0);
    } else {
      r.skip(wire);
    }
  }
  if (irVersion === undefined || irVersion < 1 || irVersion > MAX_IR_VERSION) {
    throw refuse(what, `is not an ONNX model (ir_version ${String(irVersion)})`, 'not-onnx');
  }
  if (!graph) throw refuse(what, 'is not an ONNX model (it has no graph)', 'not-onnx');
}

type Walker = (r: ProtoReader, what: string, depth: number) => void;

const tensorWalker: Walker = (r, what) => checkTensor(r, what);
const sparseWalker: Walker = (r, what, depth) => walkFields(r, { 1: tensorWalker, 2: tensorWalker }, what, depth);
const graphWalker: Walker = (r, what, depth) => walkGraph(r, what, depth + 1);
const attributeWalker: Walker = (r, what, depth) =>
  walkFields(
    r,
    { 5: tensorWalker, 6: graphWalker, 10: tensorWalker, 11: graphWalker, 22: sparseWalker, 23: sparseWalker },
    what,
    depth,
  );
const nodeWalker: Walker = (r, what, depth) => walkFields(r, { 5: attributeWalker }, what, depth);

function walkGraph(r: ProtoReader, what: string, depth: number): void {
  if (depth > MAX_DEPTH) throw refuse(what, `nests graphs deeper than ${MAX_DEPTH}`, 'not-onnx');
  walkFields(r, { 1: nodeWalker, 5: tensorWalker, 15: sparseWalker }, what, depth);
}

/** Reads every field of a message, walking the embedded messages `walkers` names and skipping the rest. */
function walkFields(r: ProtoReader, walkers: Readonly<Record<number, Walker>>, what: string, depth: number): void {
  while (!r.done) {
    const { field, wire } = r.tag();
    const walk = walkers[field];
    if (walk === undefined) r.skip(wire);
    else walk(message(r, wire), what, depth);
  }
}

function checkTensor(r: ProtoReader, what: string): void {
  let name = '';
  let external = false;
  const locations: string[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 8) {
      expectWire(wire, 2, 'TensorProto.name');
      name = r.string();
    } else if (field === 14) {
      expectWire(wire, 0, 'TensorProto.data_location');
      external = r.int32() === 1;
    } else if (field === 13) {
      const entry = message(r, wire);
      let key = '';
      let value = '';
      while (!entry.done) {
        const tag = entry.tag();
        if (tag.field === 1 && tag.wire === 2) key = entry.string();
        else if (tag.field === 2 && tag.wire === 2) value = entry.string();
        else entry.skip(tag.wire);
      }
      external = true;
      if (key === 'location') locations.push(value);
    } else {
      r.skip(wire);
    }
  }
  if (!external) return;
  if (locations.length === 0)
    throw refuse(what, `tensor '${name}' has external data without a location`, 'external-data');
  for (const location of locations) {
    if (!insideFolder(location)) {
      throw refuse(
        what,
        `tensor '${name}' references external data outside the model's folder: ${location}`,
        'external-data',
      );
    }
  }
}

/** A relative path that stays inside its folder: not empty, not absolute, no drive, no `..` segment, no NUL. */
function insideFolder(location: string): boolean {
  if (location.length === 0 || location.includes('\0')) return false;
  if (location.startsWith('/') || location.startsWith('\\') || /^[A-Za-z]:/.test(location)) return false;
  return !location.split(/[\\/]/).some((segment) => segment === '..');
}

function message(r: ProtoReader, wire: number): ProtoReader {
  expectWire(wire, 2, 'embedded message');
  return r.message();
}

function refuse(what: string, problem: string, reason: string): DissonanceError {
  return new DissonanceError('E_MODEL', `${what} refused: ${problem}`, { details: { reason } });
}
