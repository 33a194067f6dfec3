/** Core IR types: tensors, nodes, typed attributes and graphs. */

/** Element types the IR knows. int64 data is held in Float64Array (exact below 2^53); bool in Uint8Array. */
export type DType =
  | 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'bool';

/** Backing storage for constant tensors and runtime values. */
export type TensorData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** Affine quantization parameters (per tensor, or per channel along `axis`). */
export interface QuantParams {
  scale: Float32Array;
  zeroPoint: Int32Array;
  axis?: number;
}

/** N:M structured sparsity of a weight tensor along `axis`. */
export interface SparsityInfo {
  n: number;
  m: number;
  axis: number;
}

/** Static type of a tensor: element type and fully known shape. */
export interface TensorInfo {
  dtype: DType;
  shape: number[];
}

/** A concrete runtime value (also the payload of a constant tensor). */
export interface Value extends TensorInfo {
  data: TensorData;
}

/** A named tensor in the graph; `data` is set for constants (weights). */
export interface Tensor extends TensorInfo {
  name: string;
  data?: TensorData;
  quant?: QuantParams;
  sparsity?: SparsityInfo;
}

/** A typed node attribute. */
export type Attr =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensor'; value: Value };

/** An operation: op name from the registry, tensor names in and out ('' marks an absent optional input). */
export interface Node {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

/** A whole model: tensors by name, nodes in topological order, graph inputs and outputs. */
export interface Graph {
  name: string;
  tensors: Map<string, Tensor>;
  nodes: Node[];
  inputs: string[];
  outputs: string[];
  /** Where the graph came from, for error messages (file path). */
  source: string;
}
