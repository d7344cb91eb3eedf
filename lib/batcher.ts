/**
 * Dynamic batching: concurrent submissions are gathered and run together, when `maxBatch` items wait or when the
 * oldest has waited `maxDelayMs`. The queue is bounded (`maxQueue`, QUEUE_FULL beyond it) and an AbortSignal takes
 * an item out of the queue, or drops its result if its batch is already running.
 */
import { RetinaFaceError } from './errors';

export interface BatcherOptions {
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  /**
   * Batches allowed in flight at once. Beyond the first, a batch starts only when it is full, so a second batch
   * can prepare (preprocess) while the first runs without splitting the load into small batches.
   */
  maxConcurrentBatches: number;
}

interface Pending<I, R> {
  item: I;
  enqueuedAt: number;
  resolve: (result: { value: R; queueMs: number; batchSize: number }) => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export function abortError(signal: AbortSignal): RetinaFaceError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'the call was aborted';
  return new RetinaFaceError('ABORTED', reason, { cause: signal.reason });
}

export class Batcher<I, R> {
  private readonly queue: Pending<I, R>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private reserved = 0;

  constructor(
    private readonly options: BatcherOptions,
    /** Runs one batch; must return one result per item, in order (a rejection fails the whole batch). */
    private readonly runBatch: (items: I[]) => Promise<R[]>,
  ) {}

  /** Items waiting for a batch (not counting running batches). */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** Batches running now. */
  get runningBatches(): number {
    return this.running;
  }

  /**
   * Claims a queue place before expensive work (image decoding) starts, so overload is refused at once.
   * Returns a release function; submit() with the reservation consumes it.
   */
  reserve(): () => void {
    if (this.queue.length + this.reserved >= this.options.maxQueue) {
      throw new RetinaFaceError('QUEUE_FULL', `the detector queue is full (${this.options.maxQueue} waiting calls, option maxQueue)`);
    }
    this.reserved++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.reserved--;
      }
    };
  }

  submit(item: I, signal?: AbortSignal): Promise<{ value: R; queueMs: number; batchSize: number }> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise((resolve, reject) => {
      const pending: Pending<I, R> = { item, enqueuedAt: performance.now(), resolve, reject, signal };
      if (signal) {
        pending.onAbort = () => {
          const index = this.queue.indexOf(pending);
          if (index >= 0) this.queue.splice(index, 1);
          reject(abortError(signal)); // if its batch is running, the result will be ignored
        };
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.queue.push(pending);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.queue.length === 0 || this.running >= this.options.maxConcurrentBatches) return;
    const full = this.queue.length >= this.options.maxBatch;
    if (this.running > 0) {
      if (full) this.flush(); // otherwise it goes when a running batch ends
      return;
    }
    const oldestWait = performance.now() - this.queue[0]!.enqueuedAt;
    if (full || oldestWait >= this.options.maxDelayMs) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, this.options.maxDelayMs - oldestWait);
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.queue.splice(0, this.options.maxBatch);
    const started = performance.now();
    this.running++;
    this.runBatch(batch.map((p) => p.item))
      .then(
        (results) => {
          if (results.length !== batch.length) throw new Error(`batch returned ${results.length} results for ${batch.length} items`);
          batch.forEach((p, i) => this.settle(p, () => p.resolve({ value: results[i]!, queueMs: started - p.enqueuedAt, batchSize: batch.length })));
        },
        (error: unknown) => batch.forEach((p) => this.settle(p, () => p.reject(error))),
      )
      .catch((error: unknown) => batch.forEach((p) => this.settle(p, () => p.reject(error))))
      .finally(() => {
        this.running--;
        // Whatever queued meanwhile has already waited: run it now rather than wait maxDelayMs again.
        if (this.queue.length > 0 && this.running < this.options.maxConcurrentBatches) this.flush();
        else this.schedule();
      });
  }

  private settle(pending: Pending<I, R>, done: () => void): void {
    if (pending.signal && pending.onAbort) pending.signal.removeEventListener('abort', pending.onAbort);
    if (pending.signal?.aborted) return; // already rejected by the abort
    done();
  }
}
