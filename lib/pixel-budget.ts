/**
 * A bound on the decoded pixels that calls hold at once (option maxInflightPixels): decoded images, their copies and
 * tensors scale with it, so many large images in flight wait instead of all being decoded at once. First come,
 * first served: a large request at the head is not overtaken by smaller ones behind it (no starvation). A request
 * larger than the whole budget is granted when nothing else holds any, and then holds it alone.
 */
import { abortError } from './batcher';

interface Waiter {
  pixels: number;
  grant: () => void;
}

export class PixelBudget {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly limit: number) {}

  /** Pixels held now. */
  get inUse(): number {
    return this.used;
  }

  /** Requests waiting for room. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Resolves with a release function once `pixels` fit (call it exactly when the pixels are no longer held; later
   * calls do nothing). An abort while waiting rejects with ABORTED and gives up the place.
   */
  acquire(pixels: number, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.waiters.length === 0 && this.fits(pixels)) return Promise.resolve(this.take(pixels));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(abortError(signal!));
        this.grantWaiters(); // the next in line may fit now
      };
      const waiter: Waiter = {
        pixels,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.take(pixels));
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private fits(pixels: number): boolean {
    return this.used === 0 || this.used + pixels <= this.limit;
  }

  private take(pixels: number): () => void {
    this.used += pixels;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= pixels;
      this.grantWaiters();
    };
  }

  private grantWaiters(): void {
    while (this.waiters.length > 0 && this.fits(this.waiters[0]!.pixels)) this.waiters.shift()!.grant();
  }
}
