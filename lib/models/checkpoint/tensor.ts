/** Tensors of a PyTorch checkpoint: typed storages plus the view (offset, shape, stride) each tensor takes of one. */
import { RetinaFaceError } from '../../errors';
import { halfToFloat } from '../onnx/half';

export type TorchDtype =
  'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** PyTorch's storage class names (what the pickle refers to as `torch.<name>`) and their element types. */
export const STORAGE_TYPES: Record<string, { dtype: TorchDtype; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

/** One storage: its bytes arrive after the pickle (legacy) or from its own zip entry. */
export interface Storage {
  readonly key: string;
  readonly dtype: TorchDtype;
  readonly elementBytes: number;
  readonly numel: number;
  /** Little-endian element bytes, numel * elementBytes long once loaded. */
  data?: Uint8Array;
}

export class TorchTensor {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}

  get dtype(): TorchDtype {
    return this.storage.dtype;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Row-major without gaps (what torch.save writes for parameters). */
  isContiguous(): boolean {
    let expected = 1;
    for (let axis = this.shape.length - 1; axis >= 0; axis--) {
      if (this.shape[axis] !== 1 && this.stride[axis] !== expected) return false;
      expected *= this.shape[axis]!;
    }
    return true;
  }

  /** The values in row-major (contiguous) order as float32, whatever the stored type and strides. */
  toFloat32(): Float32Array {
    const data = this.storage.data;
    if (!data) throw new RetinaFaceError('CHECKPOINT_INVALID', `storage ${this.storage.key} was never loaded`);
    if (this.dtype === 'float32' && this.isContiguous()) {
      // the common case: one copy, no per-element decode
      const start = this.offset * 4;
      const copy = new Uint8Array(this.numel * 4); // a fresh, aligned buffer (data may be a view into a Buffer pool)
      copy.set(data.subarray(start, start + copy.length));
      return new Float32Array(copy.buffer);
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const read = elementReader(this.dtype, view);
    const out = new Float32Array(this.numel);
    const rank = this.shape.length;
    const index = new Array<number>(rank).fill(0);
    let source = this.offset;
    for (let i = 0; i < out.length; i++) {
      out[i] = read(source);
      // Odometer over the shape: advance the last axis, carry into earlier ones.
      for (let axis = rank - 1; axis >= 0; axis--) {
        index[axis]!++;
        source += this.stride[axis]!;
        if (index[axis]! < this.shape[axis]!) break;
        source -= this.stride[axis]! * this.shape[axis]!;
        index[axis] = 0;
      }
    }
    return out;
  }
}

function elementReader(dtype: TorchDtype, view: DataView): (i: number) => number {
  switch (dtype) {
    case 'float32':
      return (i) => view.getFloat32(4 * i, true);
    case 'float64':
      return (i) => view.getFloat64(8 * i, true);
    case 'float16':
      return (i) => halfToFloat(view.getUint16(2 * i, true));
    case 'bfloat16': {
      const scratch = new DataView(new ArrayBuffer(4)); // bfloat16 = the top half of a float32
      return (i) => (scratch.setUint32(0, view.getUint16(2 * i, true) << 16), scratch.getFloat32(0));
    }
    case 'int64':
      return (i) => Number(view.getBigInt64(8 * i, true));
    case 'int32':
      return (i) => view.getInt32(4 * i, true);
    case 'int16':
      return (i) => view.getInt16(2 * i, true);
    case 'int8':
      return (i) => view.getInt8(i);
    case 'uint8':
      return (i) => view.getUint8(i);
    case 'bool':
      return (i) => (view.getUint8(i) ? 1 : 0);
  }
}

/** Checks that every element a tensor addresses lies inside its storage (a corrupt file must not read past it). */
export function checkTensorBounds(tensor: TorchTensor, source: string, name: string): void {
  const { shape, stride, offset, storage } = tensor;
  const bad = (detail: string) => new RetinaFaceError('CHECKPOINT_INVALID', `${source}: tensor ${name} ${detail}`);
  if (shape.length !== stride.length) throw bad(`has ${shape.length} sizes but ${stride.length} strides`);
  if (![offset, ...shape, ...stride].every((v) => Number.isSafeInteger(v) && v >= 0)) {
    throw bad('has a negative or non-integer size, stride or offset');
  }
  if (tensor.numel === 0) return;
  // Parameters never overlap themselves; this also stops a crafted stride-0 view from asking for a huge array.
  if (tensor.numel > storage.numel) throw bad(`has ${tensor.numel} elements, more than its storage (${storage.numel})`);
  const last = shape.reduce((sum, size, axis) => sum + (size - 1) * stride[axis]!, offset);
  if (last >= storage.numel) throw bad(`reaches element ${last} of a storage of ${storage.numel}`);
}
