/**
 * PyTorch's legacy (pre-1.6, non-zip) torch.save layout: five pickles back to back, then raw storage bytes.
 *   magic number (LONG1) | protocol version 1001 | sys_info dict | the object (storages as persistent ids)
 *   | list of storage keys | for each key: int64 element count + the elements, little-endian.
 */
import { describe, invalidCheckpoint, PickleDict, unpickle, type UnpickleOptions, unsafeCheckpoint } from './pickle';
import type { Storage } from './tensor';
import { stateDictPickleOptions } from './torch-globals';

const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/** True when the bytes start like a legacy checkpoint (pickle protocol 2 + LONG1 of the magic number). */
export function looksLegacy(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x80 && data[1] === 0x02 && data[2] === 0x8a && data[3] === 0x0a;
}

/** Pickles of plain data only (the header): no globals, no persistent ids. */
function plainOptions(source: string): UnpickleOptions {
  return {
    source,
    resolveGlobal: (module, name) => {
      throw unsafeCheckpoint(source, `its header pickle imports ${module}.${name}`);
    },
  };
}

export interface LoadedCheckpoint {
  root: unknown;
  storages: Map<string, Storage>;
}

export function readLegacyCheckpoint(data: Uint8Array, source: string): LoadedCheckpoint {
  let offset = 0;
  const next = (options: UnpickleOptions) => {
    const { value, end } = unpickle(data, offset, options);
    offset = end;
    return value;
  };
  const magic = next(plainOptions(source));
  if (BigInt(typeof magic === 'number' || typeof magic === 'bigint' ? magic : -1) !== MAGIC_NUMBER) {
    throw invalidCheckpoint(source, 'wrong magic number');
  }
  const protocol = next(plainOptions(source));
  if (protocol !== PROTOCOL_VERSION)
    throw invalidCheckpoint(source, `unknown legacy protocol version ${describe(protocol)}`);
  const sysInfo = next(plainOptions(source));
  if (!(sysInfo instanceof PickleDict) || sysInfo.get('little_endian') !== true) {
    throw invalidCheckpoint(source, 'written on a big-endian machine (not supported) or without sys_info');
  }

  const storages = new Map<string, Storage>();
  const root = next(stateDictPickleOptions(source, storages));
  const keys = next(plainOptions(source));
  if (!Array.isArray(keys) || !keys.every((k): k is string => typeof k === 'string')) {
    throw invalidCheckpoint(source, 'the storage key list is missing');
  }

  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (const key of keys) {
    const storage = storages.get(key);
    if (!storage) throw invalidCheckpoint(source, `storage ${key} is listed but no tensor uses it`);
    if (offset + 8 > data.length) throw invalidCheckpoint(source, `the file ends before storage ${key} (truncated?)`);
    const count = view.getBigInt64(offset, true);
    if (count !== BigInt(storage.numel)) {
      throw invalidCheckpoint(source, `storage ${key} holds ${count} elements, its tensors expect ${storage.numel}`);
    }
    offset += 8;
    const bytes = storage.numel * storage.elementBytes;
    if (offset + bytes > data.length)
      throw invalidCheckpoint(source, `the file ends inside storage ${key} (truncated?)`);
    storage.data = data.subarray(offset, offset + bytes);
    offset += bytes;
  }
  return { root, storages };
}
