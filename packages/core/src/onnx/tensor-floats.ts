import { DissonanceError } from '../errors.js';
import { TensorDataType, type TensorProto } from './onnx-messages.js';

/** Largest element count a tensor may declare (keeps allocations bounded by what the bytes can hold). */
const MAX_ELEMENTS = 0x4000_0000;

/** Number of elements `dims` describe; `E_MODEL` on negative or oversized dims. */
export function elementCount(tensor: TensorProto): number {
  let count = 1;
  for (const dim of tensor.dims) {
    if (!Number.isSafeInteger(dim) || dim < 0) throw bad(tensor, `dimension ${dim} is invalid`);
    count *= dim;
    if (count > MAX_ELEMENTS) throw bad(tensor, `has more than ${MAX_ELEMENTS} elements`);
  }
  return count;
}

/**
 * The values of a FLOAT or DOUBLE tensor as float32 (doubles rounded), from `raw_data` (little-endian) or
 * `float_data`/`double_data`. Other data types, or data whose length does not match `dims` → `E_MODEL`.
 */
export function tensorFloats(tensor: TensorProto): Float32Array {
  const count = elementCount(tensor);
  const { dataType, rawData } = tensor;
  if (dataType !== TensorDataType.FLOAT && dataType !== TensorDataType.DOUBLE) {
    throw bad(tensor, `has data type ${dataType}; only FLOAT (1) and DOUBLE (11) weights are supported`);
  }
  const width = dataType === TensorDataType.FLOAT ? 4 : 8;
  const out = new Float32Array(count);
  if (rawData !== undefined) {
    if (rawData.length !== count * width) {
      throw bad(tensor, `raw_data holds ${rawData.length} bytes, dims need ${count * width}`);
    }
    const view = new DataView(rawData.buffer, rawData.byteOffset, rawData.byteLength);
    for (let i = 0; i < count; i++) out[i] = width === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
    return out;
  }
  const values = dataType === TensorDataType.FLOAT ? tensor.floatData : tensor.doubleData;
  if (values.length !== count) throw bad(tensor, `holds ${values.length} values, dims need ${count}`);
  out.set(values);
  return out;
}

function bad(tensor: TensorProto, problem: string): DissonanceError {
  return new DissonanceError('E_MODEL', `tensor '${tensor.name}' ${problem}`, { details: { tensor: tensor.name } });
}
