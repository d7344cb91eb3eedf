/**
 * The only Python names a state_dict pickle may mention, each replaced by a JavaScript stand-in, and the persistent
 * ids PyTorch uses to point at storages. Everything else is refused as CHECKPOINT_UNSAFE.
 */
import {
  describe,
  invalidCheckpoint,
  PickleDict,
  type PickleGlobal,
  PickleTuple,
  type UnpickleOptions,
  unsafeCheckpoint,
} from './pickle';
import { STORAGE_TYPES, type Storage, TorchTensor } from './tensor';

/** A `torch.<X>Storage` class named in a persistent id; never callable. */
interface StorageClass extends PickleGlobal {
  readonly storageType: (typeof STORAGE_TYPES)[string];
}

function isStorageClass(value: unknown): value is StorageClass {
  return typeof value === 'object' && value !== null && 'storageType' in value;
}

function asInt(value: unknown, what: string, source: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw invalidCheckpoint(source, `${what} is not an integer`);
  return value;
}

function asIntList(value: unknown, what: string, source: string): number[] {
  if (!Array.isArray(value)) throw invalidCheckpoint(source, `${what} is not a tuple`);
  return Array.from(value, (v, i) => asInt(v, `${what}[${i}]`, source));
}

/** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
function rebuildTensor(args: readonly unknown[], source: string): TorchTensor {
  const [storage, offset, size, stride] = args;
  if (args.length < 4 || args.length > 7 || typeof storage !== 'object' || storage === null || !('numel' in storage)) {
    throw invalidCheckpoint(source, '_rebuild_tensor_v2 called with unexpected arguments');
  }
  return new TorchTensor(
    storage as Storage,
    asInt(offset, 'storage offset', source),
    asIntList(size, 'size', source),
    asIntList(stride, 'stride', source),
  );
}

/**
 * Unpickling options for a state_dict. `storages` collects every storage the pickle refers to, by key, so the
 * caller can fill in their bytes afterwards (from the legacy file's tail or from zip entries).
 */
export function stateDictPickleOptions(source: string, storages: Map<string, Storage>): UnpickleOptions {
  const globals = new Map<string, PickleGlobal>([
    ['collections.OrderedDict', { qualifiedName: 'collections.OrderedDict', call: () => new PickleDict() }],
    [
      'torch._utils._rebuild_tensor_v2',
      {
        qualifiedName: 'torch._utils._rebuild_tensor_v2',
        call: (args) => rebuildTensor(args, source),
      },
    ],
    // nn.Parameter(data, requires_grad, backward_hooks): the tensor is all a state_dict needs.
    [
      'torch._utils._rebuild_parameter',
      {
        qualifiedName: 'torch._utils._rebuild_parameter',
        call: (args) => {
          if (!(args[0] instanceof TorchTensor)) throw invalidCheckpoint(source, '_rebuild_parameter without a tensor');
          return args[0];
        },
      },
    ],
  ]);
  for (const [name, storageType] of Object.entries(STORAGE_TYPES)) {
    const storageClass: StorageClass = { qualifiedName: `torch.${name}`, storageType };
    globals.set(`torch.${name}`, storageClass);
  }

  return {
    source,
    resolveGlobal(module, name) {
      const found = globals.get(`${module}.${name}`);
      if (!found) throw unsafeCheckpoint(source, `its pickle imports ${module}.${name}`);
      return found;
    },
    // ('storage', storage_type, key, location, numel[, view_metadata]) in both the legacy and the zip format.
    persistentLoad(pid) {
      if (!(pid instanceof PickleTuple) || pid[0] !== 'storage' || pid.length < 5 || pid.length > 6) {
        throw invalidCheckpoint(source, `unknown persistent id ${describe(pid instanceof Array ? pid[0] : pid)}`);
      }
      const [, storageClass, key, , numel, view] = pid;
      if (!isStorageClass(storageClass)) throw invalidCheckpoint(source, 'a storage of an unknown type');
      if (typeof key !== 'string') throw invalidCheckpoint(source, 'a storage key that is not a string');
      if (view !== undefined && view !== null) {
        throw invalidCheckpoint(source, 'storage views (checkpoints from PyTorch before 0.4) are not supported');
      }
      const existing = storages.get(key);
      if (existing) return existing;
      const storage: Storage = {
        key,
        dtype: storageClass.storageType.dtype,
        elementBytes: storageClass.storageType.bytes,
        numel: asInt(numel, 'storage size', source),
      };
      storages.set(key, storage);
      return storage;
    },
  };
}
