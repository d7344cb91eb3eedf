/** Reads a PyTorch .pth (legacy or zip torch.save) into its state_dict, without running anything from the file. */
import { readModelInput } from '../input-file';
import { readLegacyCheckpoint, looksLegacy, type LoadedCheckpoint } from './legacy-format';
import { invalidCheckpoint, PickleDict } from './pickle';
import { checkTensorBounds, TorchTensor } from './tensor';
import { looksZip, readZipCheckpoint } from './zip-format';

/** Parameter name -> tensor, in file order. */
export type StateDict = Map<string, TorchTensor>;

/** Largest weights file read: the ResNet-50 RetinaFace is 105 MiB in float32 (twice that in float64). */
export const MAX_CHECKPOINT_BYTES = 1 << 30;

/** Reads a weights file (a regular file of at most MAX_CHECKPOINT_BYTES) into memory. */
export function readWeightsFile(file: string): Promise<Buffer> {
  return readModelInput(file, {
    maxBytes: MAX_CHECKPOINT_BYTES,
    tooLargeCode: 'CHECKPOINT_INVALID',
    what: 'weights file',
  });
}

/** Keys under which training scripts commonly nest the state_dict in a larger checkpoint dict. */
const NESTED_KEYS = ['state_dict', 'model', 'model_state_dict', 'net'];

function isTensorDict(value: unknown): value is PickleDict {
  return value instanceof PickleDict && value.size > 0 && [...value.values()].every((v) => v instanceof TorchTensor);
}

function findStateDict(root: unknown, source: string): PickleDict {
  if (isTensorDict(root)) return root;
  if (root instanceof PickleDict) {
    for (const key of NESTED_KEYS) {
      const nested = root.get(key);
      if (isTensorDict(nested)) return nested;
    }
  }
  throw invalidCheckpoint(source, 'it holds no state_dict (a dict of parameter names to tensors)');
}

export async function readCheckpoint(file: string): Promise<StateDict> {
  return parseCheckpoint(await readWeightsFile(file), file);
}

/** Parses checkpoint bytes; `source` names them in errors. */
export async function parseCheckpoint(data: Uint8Array, source: string): Promise<StateDict> {
  let loaded: LoadedCheckpoint;
  if (looksZip(data)) loaded = await readZipCheckpoint(data, source);
  else if (looksLegacy(data)) loaded = readLegacyCheckpoint(data, source);
  else throw invalidCheckpoint(source, 'neither a zip nor a legacy torch.save file');

  for (const storage of loaded.storages.values()) {
    if (!storage.data) throw invalidCheckpoint(source, `storage ${storage.key} has no data in the file`);
  }
  const dict = findStateDict(loaded.root, source);
  const out: StateDict = new Map();
  for (const [key, tensor] of dict) {
    if (typeof key !== 'string')
      throw invalidCheckpoint(source, `a parameter name that is not a string (${String(key)})`);
    checkTensorBounds(tensor as TorchTensor, source, key);
    out.set(key, tensor as TorchTensor);
  }
  return out;
}
