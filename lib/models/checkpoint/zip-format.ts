/**
 * PyTorch's zip torch.save layout (the default since 1.6): `<archive>/data.pkl` is the object with storages as
 * persistent ids, and each storage's little-endian bytes are the entry `<archive>/data/<key>`. The archive folder is
 * named after the file at save time, so it is found, not assumed.
 */
import yauzl from 'yauzl';
import { RetinaFaceError } from '../../errors';
import type { LoadedCheckpoint } from './legacy-format';
import { invalidCheckpoint, unpickle } from './pickle';
import type { Storage } from './tensor';
import { stateDictPickleOptions } from './torch-globals';

const MAX_PICKLE_BYTES = 64 << 20; // a state_dict pickle is kilobytes; anything this large is not one

/**
 * Size bounds checked on the declared sizes, before anything is inflated (a 1 MB deflate stream can declare and
 * produce 1 GiB of zeros). The largest RetinaFace (ResNet-50) holds 27M parameters, 105 MiB in float32, and its
 * largest tensor is 9 MiB; torch.save stores entries uncompressed, and deflated float weights shrink little.
 */
export const ZIP_LIMITS = {
  /** One storage entry (a whole model flattened into one storage still fits). */
  entryBytes: 512 << 20,
  /** All storage entries together. */
  totalBytes: 1024 << 20,
  /** Inflated / deflated size, for entries over `ratioFloorBytes` (deflate's own limit is about 1032). */
  ratio: 100,
  ratioFloorBytes: 1 << 20,
  /** Entries in the archive: torch.save writes one per storage plus a few (ResNet-50: about 500); zip64 allows billions. */
  entries: 20_000,
};

export function looksZip(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04;
}

/**
 * Inflates one entry into a buffer of its declared size, and stops as soon as the data would run past it (yauzl
 * checks this too, but only after buffering the excess chunk; here the buffer never grows).
 */
async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, source: string): Promise<Buffer> {
  const stream = await zip.openReadStreamPromise(entry);
  const out = Buffer.allocUnsafe(entry.uncompressedSize);
  let filled = 0;
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      if (bytes.length > out.length - filled)
        throw invalidCheckpoint(source, `entry ${entry.fileName} inflates past its declared size`);
      bytes.copy(out, filled);
      filled += bytes.length;
    }
  } finally {
    stream.destroy();
  }
  if (filled !== out.length) throw invalidCheckpoint(source, `entry ${entry.fileName} is truncated`);
  return out;
}

/** Refuses storages whose declared sizes no RetinaFace needs, or that inflate like a zip bomb. */
function checkStorageSizes(entries: readonly yauzl.Entry[], source: string): void {
  let total = 0;
  for (const entry of entries) {
    const size = entry.uncompressedSize;
    if (size > ZIP_LIMITS.entryBytes) {
      throw invalidCheckpoint(
        source,
        `entry ${entry.fileName} declares ${size} bytes, more than any RetinaFace tensor needs`,
      );
    }
    if (size > ZIP_LIMITS.ratioFloorBytes && size > ZIP_LIMITS.ratio * entry.compressedSize) {
      throw invalidCheckpoint(
        source,
        `entry ${entry.fileName} inflates ${entry.compressedSize} bytes to ${size} (a zip bomb?)`,
      );
    }
    total += size;
  }
  if (total > ZIP_LIMITS.totalBytes) {
    throw invalidCheckpoint(source, `its storages declare ${total} bytes in all, more than any RetinaFace needs`);
  }
}

export async function readZipCheckpoint(data: Uint8Array, source: string): Promise<LoadedCheckpoint> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
      lazyEntries: true,
    });
  } catch (error) {
    throw invalidCheckpoint(source, `a damaged zip archive (${(error as Error).message})`, error);
  }
  try {
    const entries = new Map<string, yauzl.Entry>();
    if (zip.entryCount > ZIP_LIMITS.entries) {
      throw invalidCheckpoint(source, `a zip of ${zip.entryCount} entries (a checkpoint has one per storage)`);
    }
    for await (const entry of zip.eachEntry()) entries.set(entry.fileName, entry);
    const pickleName = [...entries.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
    if (!pickleName) throw invalidCheckpoint(source, 'a zip without <archive>/data.pkl (not a torch.save file)');
    const prefix = pickleName.slice(0, -'data.pkl'.length);
    const byteorder = entries.get(`${prefix}byteorder`);
    if (
      byteorder &&
      (byteorder.uncompressedSize > 16 ||
        (await readEntry(zip, byteorder, source)).toString('latin1').trim() !== 'little')
    ) {
      throw invalidCheckpoint(source, 'big-endian storages are not supported');
    }
    const pickleEntry = entries.get(pickleName)!;
    if (pickleEntry.uncompressedSize > MAX_PICKLE_BYTES)
      throw invalidCheckpoint(source, 'data.pkl is implausibly large');

    const storages = new Map<string, Storage>();
    const { value: root } = unpickle(
      await readEntry(zip, pickleEntry, source),
      0,
      stateDictPickleOptions(`${source} (${pickleName})`, storages),
    );
    // Every size is checked against the pickle and the limits before the first storage is inflated.
    const storageEntries = [...storages.values()].map((storage) => {
      const name = `${prefix}data/${storage.key}`;
      const entry = entries.get(name);
      if (!entry) throw invalidCheckpoint(source, `the zip has no entry ${name} for storage ${storage.key}`);
      const expected = storage.numel * storage.elementBytes;
      if (entry.uncompressedSize !== expected) {
        throw invalidCheckpoint(
          source,
          `entry ${name} holds ${entry.uncompressedSize} bytes, its tensors need ${expected}`,
        );
      }
      return { storage, entry };
    });
    checkStorageSizes(
      storageEntries.map(({ entry }) => entry),
      source,
    );
    for (const { storage, entry } of storageEntries) storage.data = await readEntry(zip, entry, source);
    return { root, storages };
  } catch (error) {
    if (error instanceof RetinaFaceError) throw error;
    throw invalidCheckpoint(source, `a damaged zip archive (${(error as Error).message})`, error);
  } finally {
    zip.close();
  }
}
