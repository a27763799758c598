/**
 * The subset of `onnx.proto` this SDK reads and writes, as plain immutable objects. Field numbers are in
 * the comments; fields a decoder does not know are skipped. Absent scalars decode to their proto default
 * (0 or ''), absent repeated fields to empty arrays.
 */

/** `TensorProto.DataType` values this SDK names. */
export const TensorDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;

/** `AttributeProto.AttributeType` values. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

/** `StringStringEntryProto`: key 1, value 2. */
export interface StringStringEntry {
  readonly key: string;
  readonly value: string;
}

/** `OperatorSetIdProto`: domain 1 (`''` is the default `ai.onnx` domain), version 2. */
export interface OperatorSetId {
  readonly domain: string;
  readonly version: number;
}

/**
 * `TensorProto`: dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7, name 8, raw_data 9,
 * double_data 10, external_data 13, data_location 14 (1 = EXTERNAL).
 */
export interface TensorProto {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  /** Little-endian bytes, when the data are stored raw (a view on the decoded buffer). */
  readonly rawData: Uint8Array | undefined;
  readonly floatData: readonly number[];
  readonly int32Data: readonly number[];
  readonly int64Data: readonly number[];
  readonly doubleData: readonly number[];
  readonly externalData: readonly StringStringEntry[];
  readonly dataLocation: number;
}

/** One dimension of a tensor shape: `dim_value` 1 (a size) or `dim_param` 2 (a symbolic name), or neither. */
export interface TensorDim {
  readonly value?: number;
  readonly param?: string;
}

/** `TypeProto` with its `tensor_type` 1 (`elem_type` 1, `shape` 2 → `dim` 1); other kinds are skipped. */
export interface TypeProto {
  readonly tensorType?: {
    readonly elemType: number;
    /** Absent when the shape is unknown; an empty array for a scalar. */
    readonly shape?: readonly TensorDim[];
  };
}

/** `ValueInfoProto`: name 1, type 2. */
export interface ValueInfoProto {
  readonly name: string;
  readonly type?: TypeProto;
}

/** `AttributeProto`: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20 (see {@link AttributeType}). */
export interface AttributeProto {
  readonly name: string;
  readonly type: number;
  readonly f?: number;
  readonly i?: number;
  readonly s?: Uint8Array;
  readonly t?: TensorProto;
  readonly floats: readonly number[];
  readonly ints: readonly number[];
}

/** `NodeProto`: input 1, output 2, name 3, op_type 4, attribute 5, domain 7. */
export interface NodeProto {
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly attribute: readonly AttributeProto[];
}

/** `GraphProto`: node 1, name 2, initializer 5, input 11, output 12, value_info 13. */
export interface GraphProto {
  readonly name: string;
  readonly node: readonly NodeProto[];
  readonly initializer: readonly TensorProto[];
  readonly input: readonly ValueInfoProto[];
  readonly output: readonly ValueInfoProto[];
  readonly valueInfo: readonly ValueInfoProto[];
}

/**
 * `ModelProto`: ir_version 1, producer_name 2, producer_version 3, model_version 5, doc_string 6, graph 7,
 * opset_import 8, metadata_props 14.
 */
export interface ModelProto {
  readonly irVersion: number;
  readonly opsetImport: readonly OperatorSetId[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly modelVersion: number;
  readonly docString: string;
  readonly graph?: GraphProto;
  readonly metadataProps: readonly StringStringEntry[];
}
