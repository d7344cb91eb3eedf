/**
 * A zip checkpoint whose one storage entry inflates to `gib` GiB of zeros from about 1 MB per GiB: the deflate
 * stream is one full-flushed 1 MiB block of zeros repeated (full flushes make the copies independent), then an empty
 * final block. Its data.pkl asks for a float32 storage of exactly that size, so only a size check can stop it.
 */
import zlib from 'node:zlib';
import { PickleWriter } from './pickle';

const MIB = 1 << 20;

function zeroDeflateStream(mib: number): Buffer {
  const block = zlib.deflateRawSync(Buffer.alloc(MIB), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const final = zlib.deflateRawSync(Buffer.alloc(0));
  return Buffer.concat([...Array.from({ length: mib }, () => block), final]);
}

/** CRC-32 of `mib` MiB of zeros, without holding them. */
function zeroCrc(mib: number): number {
  const zeros = Buffer.alloc(MIB);
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = zlib.crc32(zeros, crc);
  return crc;
}

export interface ZipEntry {
  name: string;
  data: Buffer;
  method: 0 | 8;
  crc: number;
  size: number;
}

/**
 * Writes the fields a local header and a central directory entry share (method, CRC, sizes, name length) at `at`,
 * the method's offset: 8 in a local header, 10 in a central entry (whose "version made by" comes first).
 */
function writeEntryFields(header: Buffer, at: number, e: ZipEntry, nameLength: number): void {
  header.writeUInt16LE(e.method, at);
  header.writeUInt32LE(e.crc >>> 0, at + 6);
  header.writeUInt32LE(e.data.length, at + 10);
  header.writeUInt32LE(e.size, at + 14);
  header.writeUInt16LE(nameLength, at + 18);
}

/** A zip archive of `entries`, written by hand (any sizes, any method, no zip64). */
export function zip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    writeEntryFields(local, 8, e, name.length);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6); // version needed
    writeEntryFields(central, 10, e, name.length);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += local.length + name.length + e.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export function stored(name: string, data: Buffer): ZipEntry {
  return { name, data, method: 0, crc: zlib.crc32(data), size: data.length };
}

/**
 * A .pth of one float32 tensor 'w' whose storage entry is `mib` MiB of deflated zeros (mib < 4096); `declaredMiB`
 * makes the zip headers and the pickle claim another size than the stream really inflates to.
 */
export function zipBombCheckpoint(mib: number, declaredMiB = mib): Buffer {
  const numel = (declaredMiB * MIB) / 4;
  const pickle = new PickleWriter()
    .proto()
    .global('collections', 'OrderedDict')
    .emptyTuple()
    .reduce()
    .mark()
    .string('w')
    .rebuildTensor({ storage: 'FloatStorage', key: '0', numel, shape: [numel], stride: [1] })
    .setItems()
    .stop()
    .toBuffer();
  return zip([
    stored('archive/data.pkl', pickle),
    stored('archive/byteorder', Buffer.from('little')),
    { name: 'archive/data/0', data: zeroDeflateStream(mib), method: 8, crc: zeroCrc(mib), size: declaredMiB * MIB },
  ]);
}
