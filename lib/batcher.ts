/**
 * Dynamic batching: concurrent submissions are gathered and run together, when `maxBatch` items wait or when the
 * oldest has waited `maxDelayMs`. The queue is bounded (`maxQueue`, QUEUE_FULL beyond it) and an AbortSignal takes
 * an item out of the queue, or drops its result if its batch is already being prepared or running.
 *
 * Batches are formed on arrival: an item joins the newest forming batch at the next slot, and the item's own work
 * (`stage`, e.g. letterboxing into that slot of the batch's input tensor) starts at once, while an earlier batch
 * still runs. A forming batch starts when it is full, or as soon as no batch runs: the engine never waits for a
 * batch to be prepared, and a batch keeps growing for as long as the one before it runs.
 */
import { RetinaFaceError } from './errors';

export interface BatcherOptions {
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  /**
   * Batches allowed in flight at once. Beyond the first, a batch starts only when it is full, so a second batch
   * can start (and wait for the engine) without splitting the load into small batches.
   */
  maxConcurrentBatches: number;
}

/** What a batch does, in steps; C is a batch's own state (e.g. its input tensor), S an item once staged. */
export interface BatchStages<I, S, R, C> {
  /** A batch starts forming (only `maxConcurrentBatches + 1` batches hold a context at a time). */
  open(): C;
  /** An item's own preparation, run as soon as it has a slot in a batch that holds a context. */
  stage(item: I, context: C, slot: number): Promise<S>;
  /**
   * Runs a batch once its items are staged. `slots` is in slot order; undefined marks an item that left (aborted)
   * or failed to stage, whose result is ignored. Returns one result per slot.
   */
  run(slots: ReadonlyArray<S | undefined>, context: C): Promise<ReadonlyArray<R | undefined>>;
  /** The batch is done (or dropped) and nothing reads its context any more. */
  close(context: C): void;
}

interface Pending<I, S, R> {
  item: I;
  enqueuedAt: number;
  resolve: (result: { value: R; queueMs: number; batchSize: number }) => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  /** Its staging, once it has a slot in a batch with a context. */
  staging?: Promise<S>;
  /** Aborted or failed: its slot stays, its result is ignored. */
  left: boolean;
}

interface Batch<I, S, R, C> {
  members: Pending<I, S, R>[];
  /** Present once the batch may stage its members; boxed, since C itself may be undefined. */
  context?: { value: C };
}

export function abortError(signal: AbortSignal): RetinaFaceError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'the call was aborted';
  return new RetinaFaceError('ABORTED', reason, { cause: signal.reason });
}

/**
 * Runs `run` on the slots that hold an item (not the holes) and puts each result back at its item's slot: for
 * stages whose work takes only the live items.
 */
export async function runLiveSlots<S, R>(
  slots: ReadonlyArray<S | undefined>,
  run: (items: S[]) => Promise<R[]>,
): Promise<Array<R | undefined>> {
  const live = slots.flatMap((item, i) => (item === undefined ? [] : [i]));
  const results = await run(live.map((i) => slots[i]!));
  if (results.length !== live.length)
    throw new Error(`batch returned ${results.length} results for ${live.length} items`);
  const bySlot = new Array<R | undefined>(slots.length);
  live.forEach((slot, k) => (bySlot[slot] = results[k]));
  return bySlot;
}

/** Stages for a plain `runBatch(items)`: nothing to prepare per item, no per-batch state. */
export function plainStages<I, R>(runBatch: (items: I[]) => Promise<R[]>): BatchStages<I, I, R, undefined> {
  return {
    open: () => undefined,
    stage: (item) => Promise.resolve(item),
    run: (slots) => runLiveSlots(slots, runBatch),
    close: () => undefined,
  };
}

export class Batcher<I, R, S = unknown, C = unknown> {
  /** Batches not yet started, oldest first; only the last one takes new items. */
  private readonly forming: Batch<I, S, R, C>[] = [];
  private readonly stages: BatchStages<I, S, R, C>;
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  /** Batches holding a context: running ones and the first forming ones. */
  private withContext = 0;
  private reserved = 0;

  /** Either a plain `runBatch(items)` (one result per item, in order; a rejection fails the batch) or stages. */
  constructor(options: BatcherOptions, runBatch: (items: I[]) => Promise<R[]>);
  constructor(options: BatcherOptions, stages: BatchStages<I, S, R, C>);
  constructor(
    private readonly options: BatcherOptions,
    work: ((items: I[]) => Promise<R[]>) | BatchStages<I, S, R, C>,
  ) {
    this.stages = typeof work === 'function' ? (plainStages(work) as unknown as BatchStages<I, S, R, C>) : work;
  }

  /** Items waiting for their batch to start. */
  get queueDepth(): number {
    let depth = 0;
    for (const batch of this.forming) for (const member of batch.members) if (!member.left) depth++;
    return depth;
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
    if (this.queueDepth + this.reserved >= this.options.maxQueue) {
      throw new RetinaFaceError(
        'QUEUE_FULL',
        `the detector queue is full (${this.options.maxQueue} waiting calls, option maxQueue)`,
      );
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
      const pending: Pending<I, S, R> = { item, enqueuedAt: performance.now(), resolve, reject, signal, left: false };
      let batch = this.forming[this.forming.length - 1];
      if (!batch || batch.members.length >= this.options.maxBatch) {
        batch = { members: [] };
        this.forming.push(batch);
      }
      batch.members.push(pending);
      if (signal) {
        pending.onAbort = () => this.abort(pending, signal);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      if (batch.context !== undefined) this.stage(batch, pending);
      else this.giveContexts();
      this.schedule(false);
    });
  }

  private abort(pending: Pending<I, S, R>, signal: AbortSignal): void {
    pending.left = true;
    pending.reject(abortError(signal)); // if its batch is running, the result will be ignored
    const index = this.forming.findIndex((b) => b.members.includes(pending));
    if (index < 0) return; // its batch runs already
    const batch = this.forming[index]!;
    if (batch.context === undefined) batch.members.splice(batch.members.indexOf(pending), 1); // no slot yet
    if (batch.members.some((m) => !m.left)) return;
    // Nobody is left in this batch: drop it without running it.
    this.forming.splice(index, 1);
    if (batch.context !== undefined) this.retire(batch);
  }

  /** Frees a batch's context once its stagings have settled (they may still write into it). */
  private retire(batch: Batch<I, S, R, C>): void {
    const context = batch.context!.value;
    void Promise.allSettled(batch.members.map((m) => m.staging)).then(() => {
      this.stages.close(context);
      this.withContext--;
      this.giveContexts();
      this.schedule(false);
    });
  }

  /** Opens contexts for the oldest forming batches, up to maxConcurrentBatches + 1 batches in all. */
  private giveContexts(): void {
    for (const batch of this.forming) {
      if (this.withContext >= this.options.maxConcurrentBatches + 1) return;
      if (batch.context === undefined) this.openContext(batch);
    }
  }

  private openContext(batch: Batch<I, S, R, C>): void {
    batch.context = { value: this.stages.open() };
    this.withContext++;
    for (const member of batch.members) this.stage(batch, member);
  }

  private stage(batch: Batch<I, S, R, C>, pending: Pending<I, S, R>): void {
    const slot = batch.members.indexOf(pending);
    pending.staging = this.stages.stage(pending.item, batch.context!.value, slot);
    pending.staging.catch((error: unknown) => {
      if (pending.left) return;
      pending.left = true;
      this.settle(pending, () => pending.reject(error));
    });
  }

  /** Starts the oldest forming batch if it is full, or if nothing runs (after maxDelayMs, unless `now`). */
  private schedule(now: boolean): void {
    while (this.running < this.options.maxConcurrentBatches) {
      const head = this.forming[0];
      if (!head) return;
      if (head.members.length < this.options.maxBatch) {
        if (this.running > 0) return; // it keeps filling while the running batch runs
        const oldestWait = performance.now() - head.members[0]!.enqueuedAt;
        if (!now && oldestWait < this.options.maxDelayMs) {
          this.timer ??= setTimeout(() => {
            this.timer = undefined;
            this.schedule(false);
          }, this.options.maxDelayMs - oldestWait);
          return;
        }
      }
      this.start(head);
    }
  }

  private start(batch: Batch<I, S, R, C>): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // Contexts go to the oldest batches first, so the head has one unless dropped batches still hold theirs.
    if (batch.context === undefined) this.openContext(batch);
    this.forming.shift();
    this.running++;
    const started = performance.now();
    const members = batch.members;
    const context = batch.context!.value;
    void (async () => {
      try {
        const staged = await Promise.allSettled(members.map((m) => m.staging!));
        const slots = staged.map((s, i) => (s.status === 'fulfilled' && !members[i]!.left ? s.value : undefined));
        const live = slots.filter((s) => s !== undefined).length;
        if (live === 0) return;
        let results: ReadonlyArray<R | undefined>;
        try {
          results = await this.stages.run(slots, context);
          if (results.length !== members.length)
            throw new Error(`batch returned ${results.length} results for ${members.length} slots`);
        } catch (error) {
          for (const m of members) if (!m.left) this.settle(m, () => m.reject(error));
          return;
        }
        members.forEach((m, i) => {
          if (slots[i] === undefined) return;
          this.settle(m, () => m.resolve({ value: results[i]!, queueMs: started - m.enqueuedAt, batchSize: live }));
        });
      } finally {
        this.stages.close(context);
        this.withContext--;
        this.running--;
        this.giveContexts();
        // Whatever formed meanwhile has already waited: run it now rather than wait maxDelayMs again.
        this.schedule(true);
      }
    })();
  }

  private settle(pending: Pending<I, S, R>, done: () => void): void {
    if (pending.signal && pending.onAbort) pending.signal.removeEventListener('abort', pending.onAbort);
    if (pending.signal?.aborted) return; // already rejected by the abort
    done();
  }
}
