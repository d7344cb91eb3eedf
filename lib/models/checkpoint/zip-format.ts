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

export function looksZip(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04;
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readZipCheckpoint(data: Uint8Array, source: string): Promise<LoadedCheckpoint> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { lazyEntries: true });
  } catch (error) {
    throw invalidCheckpoint(source, `a damaged zip archive (${(error as Error).message})`, error);
  }
  try {
    const entries = new Map<string, yauzl.Entry>();
    for await (const entry of zip.eachEntry()) entries.set(entry.fileName, entry);
    const pickleName = [...entries.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
    if (!pickleName) throw invalidCheckpoint(source, 'a zip without <archive>/data.pkl (not a torch.save file)');
    const prefix = pickleName.slice(0, -'data.pkl'.length);
    const byteorder = entries.get(`${prefix}byteorder`);
    if (byteorder && (byteorder.uncompressedSize > 16 || (await readEntry(zip, byteorder)).toString('latin1').trim() !== 'little')) {
      throw invalidCheckpoint(source, 'big-endian storages are not supported');
    }
    const pickleEntry = entries.get(pickleName)!;
    if (pickleEntry.uncompressedSize > MAX_PICKLE_BYTES) throw invalidCheckpoint(source, 'data.pkl is implausibly large');

    const storages = new Map<string, Storage>();
    const { value: root } = unpickle(await readEntry(zip, pickleEntry), 0, stateDictPickleOptions(`${source} (${pickleName})`, storages));
    for (const storage of storages.values()) {
      const name = `${prefix}data/${storage.key}`;
      const entry = entries.get(name);
      if (!entry) throw invalidCheckpoint(source, `the zip has no entry ${name} for storage ${storage.key}`);
      const expected = storage.numel * storage.elementBytes;
      if (entry.uncompressedSize !== expected) {
        throw invalidCheckpoint(source, `entry ${name} holds ${entry.uncompressedSize} bytes, its tensors need ${expected}`);
      }
      storage.data = await readEntry(zip, entry);
      if (storage.data.length !== expected) throw invalidCheckpoint(source, `entry ${name} is truncated`);
    }
    return { root, storages };
  } catch (error) {
    if (error instanceof RetinaFaceError) throw error;
    throw invalidCheckpoint(source, `a damaged zip archive (${(error as Error).message})`, error);
  } finally {
    zip.close();
  }
}
