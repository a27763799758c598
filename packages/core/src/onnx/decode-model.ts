import { DissonanceError } from '../errors.js';
import type {
  AttributeProto,
  GraphProto,
  ModelProto,
  NodeProto,
  OperatorSetId,
  StringStringEntry,
  TensorDim,
  TensorProto,
  TypeProto,
  ValueInfoProto,
} from './onnx-messages.js';
import { ProtoReader, expectWire } from './protobuf-reader.js';

/**
 * Decodes ONNX `ModelProto` bytes into plain objects (the subset in `onnx-messages.ts`; other fields are
 * skipped). Malformed protobuf → `E_MODEL`. A tensor stored as external data → `E_MODEL`: a model never
 * makes this SDK read a file it names.
 */
export function decodeOnnxModel(bytes: Uint8Array): ModelProto {
  if (!(bytes instanceof Uint8Array))
    throw new DissonanceError('E_INPUT', 'decodeOnnxModel: bytes must be a Uint8Array');
  if (bytes.length === 0) throw new DissonanceError('E_MODEL', 'the ONNX model is empty');
  return decodeModel(new ProtoReader(bytes));
}

function decodeModel(r: ProtoReader): ModelProto {
  let irVersion = 0;
  let producerName = '';
  let producerVersion = '';
  let modelVersion = 0;
  let docString = '';
  let graph: GraphProto | undefined;
  const opsetImport: OperatorSetId[] = [];
  const metadataProps: StringStringEntry[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        expectWire(wire, 0, 'ModelProto.ir_version');
        irVersion = r.int64();
        break;
      case 2:
        producerName = readString(r, wire, 'ModelProto.producer_name');
        break;
      case 3:
        producerVersion = readString(r, wire, 'ModelProto.producer_version');
        break;
      case 5:
        expectWire(wire, 0, 'ModelProto.model_version');
        modelVersion = r.int64();
        break;
      case 6:
        docString = readString(r, wire, 'ModelProto.doc_string');
        break;
      case 7:
        graph = decodeGraph(readMessage(r, wire, 'ModelProto.graph'));
        break;
      case 8:
        opsetImport.push(decodeOpset(readMessage(r, wire, 'ModelProto.opset_import')));
        break;
      case 14:
        metadataProps.push(decodeEntry(readMessage(r, wire, 'ModelProto.metadata_props')));
        break;
      default:
        r.skip(wire);
    }
  }
  return { irVersion, opsetImport, producerName, producerVersion, modelVersion, docString, graph, metadataProps };
}

function decodeGraph(r: ProtoReader): GraphProto {
  let name = '';
  const node: NodeProto[] = [];
  const initializer: TensorProto[] = [];
  const input: ValueInfoProto[] = [];
  const output: ValueInfoProto[] = [];
  const valueInfo: ValueInfoProto[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        node.push(decodeNode(readMessage(r, wire, 'GraphProto.node')));
        break;
      case 2:
        name = readString(r, wire, 'GraphProto.name');
        break;
      case 5:
        initializer.push(decodeTensor(readMessage(r, wire, 'GraphProto.initializer')));
        break;
      case 11:
        input.push(decodeValueInfo(readMessage(r, wire, 'GraphProto.input')));
        break;
      case 12:
        output.push(decodeValueInfo(readMessage(r, wire, 'GraphProto.output')));
        break;
      case 13:
        valueInfo.push(decodeValueInfo(readMessage(r, wire, 'GraphProto.value_info')));
        break;
      default:
        r.skip(wire);
    }
  }
  return { name, node, initializer, input, output, valueInfo };
}

function decodeNode(r: ProtoReader): NodeProto {
  let name = '';
  let opType = '';
  let domain = '';
  const input: string[] = [];
  const output: string[] = [];
  const attribute: AttributeProto[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        input.push(readString(r, wire, 'NodeProto.input'));
        break;
      case 2:
        output.push(readString(r, wire, 'NodeProto.output'));
        break;
      case 3:
        name = readString(r, wire, 'NodeProto.name');
        break;
      case 4:
        opType = readString(r, wire, 'NodeProto.op_type');
        break;
      case 5:
        attribute.push(decodeAttribute(readMessage(r, wire, 'NodeProto.attribute')));
        break;
      case 7:
        domain = readString(r, wire, 'NodeProto.domain');
        break;
      default:
        r.skip(wire);
    }
  }
  return { input, output, name, opType, domain, attribute };
}

function decodeAttribute(r: ProtoReader): AttributeProto {
  let name = '';
  let type = 0;
  let f: number | undefined;
  let i: number | undefined;
  let s: Uint8Array | undefined;
  let t: TensorProto | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        name = readString(r, wire, 'AttributeProto.name');
        break;
      case 2:
        expectWire(wire, 5, 'AttributeProto.f');
        f = r.float32();
        break;
      case 3:
        expectWire(wire, 0, 'AttributeProto.i');
        i = r.int64();
        break;
      case 4:
        expectWire(wire, 2, 'AttributeProto.s');
        s = r.bytesView();
        break;
      case 5:
        t = decodeTensor(readMessage(r, wire, 'AttributeProto.t'));
        break;
      case 7:
        r.repeatedFloat32(wire, floats);
        break;
      case 8:
        r.repeatedInt64(wire, ints);
        break;
      case 20:
        expectWire(wire, 0, 'AttributeProto.type');
        type = r.int32();
        break;
      default:
        r.skip(wire);
    }
  }
  return { name, type, f, i, s, t, floats, ints };
}

/** Decodes a `TensorProto`; external data → `E_MODEL`. */
function decodeTensor(r: ProtoReader): TensorProto {
  let name = '';
  let dataType = 0;
  let rawData: Uint8Array | undefined;
  let dataLocation = 0;
  const dims: number[] = [];
  const floatData: number[] = [];
  const int32Data: number[] = [];
  const int64Data: number[] = [];
  const doubleData: number[] = [];
  const externalData: StringStringEntry[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        r.repeatedInt64(wire, dims);
        break;
      case 2:
        expectWire(wire, 0, 'TensorProto.data_type');
        dataType = r.int32();
        break;
      case 4:
        r.repeatedFloat32(wire, floatData);
        break;
      case 5:
        r.repeatedInt64(wire, int32Data);
        break;
      case 7:
        r.repeatedInt64(wire, int64Data);
        break;
      case 8:
        name = readString(r, wire, 'TensorProto.name');
        break;
      case 9:
        expectWire(wire, 2, 'TensorProto.raw_data');
        rawData = r.bytesView();
        break;
      case 10:
        r.repeatedFloat64(wire, doubleData);
        break;
      case 13:
        externalData.push(decodeEntry(readMessage(r, wire, 'TensorProto.external_data')));
        break;
      case 14:
        expectWire(wire, 0, 'TensorProto.data_location');
        dataLocation = r.int32();
        break;
      default:
        r.skip(wire);
    }
  }
  if (dataLocation === 1 || externalData.length > 0) {
    throw new DissonanceError('E_MODEL', `tensor '${name}': external data is not supported`, {
      details: { tensor: name },
    });
  }
  return { name, dims, dataType, rawData, floatData, int32Data, int64Data, doubleData, externalData, dataLocation };
}

function decodeValueInfo(r: ProtoReader): ValueInfoProto {
  let name = '';
  let type: TypeProto | undefined;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) name = readString(r, wire, 'ValueInfoProto.name');
    else if (field === 2) type = decodeType(readMessage(r, wire, 'ValueInfoProto.type'));
    else r.skip(wire);
  }
  return { name, type };
}

/** Decodes `TypeProto`, keeping only `tensor_type` (sequence, map and optional types are skipped). */
function decodeType(r: ProtoReader): TypeProto {
  let tensorType: TypeProto['tensorType'];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1) {
      r.skip(wire);
      continue;
    }
    const t = readMessage(r, wire, 'TypeProto.tensor_type');
    let elemType = 0;
    let shape: TensorDim[] | undefined;
    while (!t.done) {
      const tag = t.tag();
      if (tag.field === 1) {
        expectWire(tag.wire, 0, 'TypeProto.Tensor.elem_type');
        elemType = t.int32();
      } else if (tag.field === 2) {
        shape = decodeShape(readMessage(t, tag.wire, 'TypeProto.Tensor.shape'));
      } else t.skip(tag.wire);
    }
    tensorType = { elemType, shape };
  }
  return { tensorType };
}

function decodeShape(r: ProtoReader): TensorDim[] {
  const dims: TensorDim[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1) {
      r.skip(wire);
      continue;
    }
    const d = readMessage(r, wire, 'TensorShapeProto.dim');
    let dim: TensorDim = {};
    while (!d.done) {
      const tag = d.tag();
      if (tag.field === 1) {
        expectWire(tag.wire, 0, 'Dimension.dim_value');
        dim = { value: d.int64() };
      } else if (tag.field === 2) {
        dim = { param: readString(d, tag.wire, 'Dimension.dim_param') };
      } else d.skip(tag.wire);
    }
    dims.push(dim);
  }
  return dims;
}

function decodeOpset(r: ProtoReader): OperatorSetId {
  let domain = '';
  let version = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) domain = readString(r, wire, 'OperatorSetIdProto.domain');
    else if (field === 2) {
      expectWire(wire, 0, 'OperatorSetIdProto.version');
      version = r.int64();
    } else r.skip(wire);
  }
  return { domain, version };
}

function decodeEntry(r: ProtoReader): StringStringEntry {
  let key = '';
  let value = '';
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) key = readString(r, wire, 'StringStringEntryProto.key');
    else if (field === 2) value = readString(r, wire, 'StringStringEntryProto.value');
    else r.skip(wire);
  }
  return { key, value };
}

function readString(r: ProtoReader, wire: number, what: string): string {
  expectWire(wire, 2, what);
  return r.string();
}

function readMessage(r: ProtoReader, wire: number, what: string): ProtoReader {
  expectWire(wire, 2, what);
  return r.message();
}
