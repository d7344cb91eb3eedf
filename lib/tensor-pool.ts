/**
 * Reuses the large float input tensors of the CPU path (4.9 MB per 640x640 image): allocating and zero-filling a
 * fresh one per batch costs page faults on every inference. Keeps a few tensors and a bounded number of bytes in
 * all, whatever their sizes, so original-size inference over large images of ever-new sizes cannot make it hold
 * gigabytes (4 tensors of a 100-megapixel image would be 4.8 GB).
 */
export interface TensorPoolOptions {
  /** Tensors kept at most. Default 4. */
  keep?: number;
  /** Bytes kept at most, all tensors together; a tensor larger than this is never kept. Default 256 MB. */
  keepBytes?: number;
}

export class TensorPool {
  private free: Float32Array[] = [];
  private readonly keep: number;
  private readonly keepBytes: number;

  constructor(options: TensorPoolOptions = {}) {
    this.keep = options.keep ?? 4;
    this.keepBytes = options.keepBytes ?? 256 * 1024 * 1024;
  }

  /** Bytes held by the tensors kept for reuse. */
  get heldBytes(): number {
    return this.free.reduce((sum, t) => sum + t.byteLength, 0);
  }

  /** A tensor of exactly `length` floats with unspecified contents (the caller overwrites or zeroes it). */
  acquire(length: number): Float32Array {
    const index = this.free.findIndex((t) => t.length === length);
    return index >= 0 ? this.free.splice(index, 1)[0]! : new Float32Array(length);
  }

  /** Gives a tensor back once nothing reads it any more; the least recently returned go when over the limits. */
  release(tensor: Float32Array): void {
    if (tensor.byteLength > this.keepBytes) return;
    this.free.push(tensor);
    while (this.free.length > this.keep || this.heldBytes > this.keepBytes) this.free.shift();
  }

  clear(): void {
    this.free = [];
  }
}
