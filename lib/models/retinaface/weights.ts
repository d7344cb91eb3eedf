/**
 * The checkpoint's parameters as the graph builder asks for them: by biubug6's key names (a DataParallel `module.`
 * prefix tolerated), as float32, with every key accounted for like load_state_dict(strict=True).
 */
import { RetinaFaceError } from '../../errors';
import type { StateDict } from '../checkpoint/read-checkpoint';
import type { TorchTensor } from '../checkpoint/tensor';

export interface Param {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export class Weights {
  private readonly byName = new Map<string, TorchTensor>();
  private readonly taken = new Set<string>();

  constructor(
    stateDict: StateDict,
    private readonly source: string,
    /** For error messages: the architecture being built and what to try instead. */
    private readonly architecture: string,
    private readonly hint: string,
  ) {
    for (const [key, tensor] of stateDict) this.byName.set(key.startsWith('module.') ? key.slice(7) : key, tensor);
  }

  has(key: string): boolean {
    return this.byName.has(key);
  }

  /** Parameter names, prefix removed. */
  keys(): string[] {
    return [...this.byName.keys()];
  }

  /** The parameter `key`, checked against `shape` where given (-1 = any dimension). */
  get(key: string, shape?: readonly number[]): Param {
    const tensor = this.byName.get(key);
    if (!tensor) {
      throw new RetinaFaceError(
        'CHECKPOINT_INVALID',
        `${this.source} does not fit RetinaFace ${this.architecture}: ` + `it has no ${key}. ${this.hint}`,
      );
    }
    this.taken.add(key);
    if (shape && (shape.length !== tensor.shape.length || shape.some((d, i) => d >= 0 && d !== tensor.shape[i]))) {
      throw new RetinaFaceError(
        'CHECKPOINT_INVALID',
        `${this.source}: ${key} has shape [${tensor.shape.join(', ')}], the architecture needs [${shape.join(', ')}]`,
      );
    }
    if (!tensor.dtype.startsWith('float') && tensor.dtype !== 'bfloat16') {
      throw new RetinaFaceError('CHECKPOINT_INVALID', `${this.source}: ${key} is ${tensor.dtype}, not floating point`);
    }
    return { shape: tensor.shape, values: tensor.toFloat32() };
  }

  /** Throws when the file has parameters the architecture did not use (a different network: load_state_dict strict). */
  finish(): void {
    const unused = [...this.byName.keys()].filter((k) => !this.taken.has(k) && !k.endsWith('.num_batches_tracked'));
    if (!unused.length) return;
    const list = `${unused.slice(0, 5).join(', ')}${unused.length > 5 ? `, ... (${unused.length} in all)` : ''}`;
    throw new RetinaFaceError(
      'CHECKPOINT_INVALID',
      `${this.source} does not fit RetinaFace ${this.architecture}: unexpected parameters ${list}. ${this.hint}`,
    );
  }
}
