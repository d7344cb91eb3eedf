/**
 * Reuses the large float input tensors of the CPU path (4.9 MB per 640x640 image): allocating and zero-filling a
 * fresh one per batch costs page faults on every inference. Keeps a few tensors in all, whatever their sizes, so
 * original-size inference over images of ever-new sizes cannot grow it.
 */
export class TensorPool {
  private free: Float32Array[] = [];

  constructor(private readonly keep = 4) {}

  /** A tensor of exactly `length` floats with unspecified contents (the caller overwrites or zeroes it). */
  acquire(length: number): Float32Array {
    const index = this.free.findIndex((t) => t.length === length);
    return index >= 0 ? this.free.splice(index, 1)[0]! : new Float32Array(length);
  }

  /** Gives a tensor back once nothing reads it any more; the least recently returned goes when full. */
  release(tensor: Float32Array): void {
    this.free.push(tensor);
    if (this.free.length > this.keep) this.free.shift();
  }

  clear(): void {
    this.free = [];
  }
}
