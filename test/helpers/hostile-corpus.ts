/**
 * The malformed-input corpus (issue 15, "keep them closed"): hostile or unusual image files, each with the outcome
 * every surface (API by path and by Buffer, CLI, server) must give. Everything is generated here from one shared
 * photo with sharp and byte surgery, so nothing binary is committed; `npx tsx scripts/make-hostile-corpus.ts <dir>`
 * writes the same files for manual runs and fuzz seeding.
 *
 * The expectations assume CORPUS_LIMITS (a small maxPixels, so that the bombs trip it without being decoded).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import type { ErrorCode } from '../../lib/errors';

/** The detector options the expectations are written for. */
export const CORPUS_LIMITS = { maxPixels: 4_000_000, minSide: 8 } as const;

/** A typed error, an exact face count, or at least `minFaces` faces. */
export type Expected = { code: ErrorCode } | { faces: number } | { minFaces: number };

export interface CorpusEntry {
  /** File name in the corpus folder. */
  name: string;
  /** What it is, for the outcome table. */
  kind: string;
  /** The outcome for its bytes (API Buffer, server) and its path (API path, CLI), unless `pathExpect` says otherwise. */
  expect: Expected;
  /** When the path itself decides (a directory, a missing file): the bytes are not sent anywhere. */
  pathOnly?: boolean;
  /** The outcome with failOn: 'warning' (decoder warnings refused), where it differs from `expect`. */
  failOnWarning?: Expected;
}

const SOURCE_PHOTO = path.resolve(__dirname, '../../../shared/data/photos/fr_two_people.jpg');
/** Faces the detector finds in SOURCE_PHOTO resized to 560 px wide (score 0.5). */
const SOURCE_FACES = 2;

const IMAGE_DECODE_FAILED = { code: 'IMAGE_DECODE_FAILED' } as const;
const IMAGE_TOO_LARGE = { code: 'IMAGE_TOO_LARGE' } as const;
const IMAGE_TOO_SMALL = { code: 'IMAGE_TOO_SMALL' } as const;
const IMAGE_EMPTY = { code: 'IMAGE_EMPTY' } as const;
const FACES = { faces: SOURCE_FACES } as const;

// ---- PNG by hand: any header, any IDAT, without sharp refusing to write it ----

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0);
  return Buffer.concat([head, data, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number, colorType: number, bitDepth = 8): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = bitDepth;
  data[9] = colorType;
  return chunk('IHDR', data);
}

/** A PNG of `channels`-byte pixels (colour type from the count), rows filter 0; `pixel(x, y)` gives the bytes. */
function png(
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  pixel: (x: number, y: number) => number[],
): Buffer {
  const colorType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const rows = Buffer.alloc(height * (1 + width * channels));
  let at = 0;
  for (let y = 0; y < height; y++) {
    rows[at++] = 0;
    for (let x = 0; x < width; x++) for (const v of pixel(x, y)) rows[at++] = v;
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(width, height, colorType),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A grey PNG whose rows are all zero, deflated: a few KB that inflate to width x height bytes. */
function zeroPng(width: number, height: number): Buffer {
  const rows = Buffer.alloc(height * (1 + width));
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(width, height, 0),
    chunk('IDAT', zlib.deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG whose header claims `width` x `height` but whose data is one tiny row: the size alone must refuse it. */
function claimedPng(width: number, height: number): Buffer {
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(width, height, 0),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- JPEG surgery ----

/** Offset of the first marker `code` (0xFFxx) after the SOI. */
function findMarker(jpeg: Buffer, code: number): number {
  for (let i = 2; i < jpeg.length - 1; i++) if (jpeg[i] === 0xff && jpeg[i + 1] === code) return i;
  throw new Error(`marker ff${code.toString(16)} not found`);
}

/** The frame header (SOF0 baseline or SOF2 progressive) with other dimensions written into it. */
function withFrameSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  let sof = -1;
  for (const code of [0xc0, 0xc2]) {
    try {
      sof = findMarker(out, code);
      break;
    } catch {
      /* try the next kind */
    }
  }
  out.writeUInt16BE(height, sof + 5);
  out.writeUInt16BE(width, sof + 7);
  return out;
}

/**
 * Zeroes 2000 bytes in the middle of the entropy-coded scan: the decoder reads wrong Huffman codes from there on,
 * warns ("Corrupt JPEG data: premature end of data segment") and fills the rest with damaged blocks. (Random bytes
 * there mostly decode without a warning: Huffman streams resynchronise.)
 */
function corruptScan(jpeg: Buffer): Buffer {
  const out = Buffer.from(jpeg);
  const sos = findMarker(out, 0xda);
  const start = sos + 2 + out.readUInt16BE(sos + 2);
  const middle = start + Math.floor((out.length - 2 - start) * 0.4);
  out.fill(0, middle, middle + 2000);
  return out;
}

// ---- text-ish payloads ----

/** Deterministic pseudo-random bytes (xorshift), so the corpus is the same on every run. */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

const truncate = (bytes: Buffer, fraction: number) =>
  bytes.subarray(0, Math.max(1, Math.floor(bytes.length * fraction)));

interface Generated extends CorpusEntry {
  /** The file's bytes; absent for pathOnly entries, which make their own path (or none). */
  bytes?: Buffer;
}

/** Builds every entry in memory (about a second of sharp work). */
export async function buildHostileCorpus(): Promise<Generated[]> {
  const source = await sharp(SOURCE_PHOTO).resize(560).toBuffer(); // 560x329 JPEG, two faces
  const raw = await sharp(source).raw().toBuffer({ resolveWithObject: true });
  const grey = await sharp(source).greyscale().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = raw.info;
  const jpeg = await sharp(source).jpeg({ quality: 90 }).toBuffer();
  const pngRgb = await sharp(source).png().toBuffer();
  const webp = await sharp(source).webp({ quality: 80 }).toBuffer();
  const gif = await sharp(source).gif().toBuffer();
  const tiff = await sharp(source).tiff().toBuffer();
  const flopped = await sharp(source).flop().toBuffer();
  const svg = (w: number, h: number) =>
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="#808080"/>` +
        '<circle cx="50%" cy="50%" r="20%" fill="#f0c0a0"/></svg>',
    );

  const entries: Generated[] = [
    // Unusual but valid: every one must find the two faces.
    { name: 'baseline.jpg', kind: 'JPEG, baseline', bytes: jpeg, expect: FACES },
    {
      name: 'progressive.jpg',
      kind: 'JPEG, progressive',
      bytes: await sharp(source).jpeg({ progressive: true }).toBuffer(),
      expect: FACES,
    },
    {
      name: 'grey.jpg',
      kind: 'JPEG, greyscale',
      bytes: await sharp(source).greyscale().jpeg().toBuffer(),
      expect: FACES,
    },
    {
      name: 'cmyk.jpg',
      kind: 'JPEG, CMYK',
      bytes: await sharp(source).toColourspace('cmyk').jpeg().toBuffer(),
      expect: FACES,
    },
    {
      name: 'exif-rotated.jpg',
      kind: 'JPEG stored on its side, EXIF orientation 6',
      bytes: await sharp(source).rotate(270).withMetadata({ orientation: 6 }).jpeg().toBuffer(),
      expect: FACES,
    },
    {
      name: 'garbage-appended.jpg',
      kind: 'JPEG + 4 KB of garbage after EOI',
      bytes: Buffer.concat([jpeg, noise(4096, 7)]),
      expect: FACES,
    },
    {
      name: 'two-jpegs.jpg',
      kind: 'two JPEGs back to back (the first is read)',
      bytes: Buffer.concat([jpeg, await sharp(flopped).jpeg().toBuffer()]),
      expect: FACES,
    },
    {
      name: 'polyglot-jpeg-html.jpg',
      kind: 'polyglot: a JPEG that is also an HTML page (script after EOI)',
      bytes: Buffer.concat([jpeg, Buffer.from('<html><script>alert(1)</script></html>')]),
      expect: FACES,
    },
    { name: 'rgb.png', kind: 'PNG, 8-bit RGB', bytes: pngRgb, expect: FACES },
    {
      name: 'rgb16.png',
      kind: 'PNG, 16-bit RGB',
      bytes: await sharp(source).toColourspace('rgb16').png().toBuffer(),
      expect: FACES,
    },
    {
      name: 'grey-alpha.png',
      kind: 'PNG, grey + alpha',
      bytes: png(width, height, 2, (x, y) => [grey.data[y * width + x]!, 255]),
      expect: FACES,
    },
    {
      name: 'rgba-transparent.png',
      kind: 'PNG, RGBA, fully transparent (alpha ignored)',
      bytes: png(width, height, 4, (x, y) => [...raw.data.subarray(3 * (y * width + x), 3 * (y * width + x) + 3), 0]),
      expect: FACES,
    },
    {
      name: 'palette.png',
      kind: 'PNG, palette (8-bit indexed)',
      bytes: await sharp(source).png({ palette: true }).toBuffer(),
      expect: FACES,
    },
    { name: 'image.webp', kind: 'WebP, lossy', bytes: webp, expect: FACES },
    {
      name: 'lossless-alpha.webp',
      kind: 'WebP, lossless with alpha',
      bytes: await sharp(source).ensureAlpha().webp({ lossless: true }).toBuffer(),
      expect: FACES,
    },
    { name: 'image.gif', kind: 'GIF, one frame', bytes: gif, expect: FACES },
    {
      name: 'animated.gif',
      kind: 'GIF, two frames (the first is read)',
      bytes: await sharp([source, flopped], { join: { animated: true } })
        .gif()
        .toBuffer(),
      expect: FACES,
    },
    { name: 'image.tiff', kind: 'TIFF', bytes: tiff, expect: FACES },
    {
      name: 'multi-page.tiff',
      kind: 'TIFF, two pages (the first is read)',
      bytes: await sharp([source, flopped], { join: { animated: true } })
        .tiff()
        .toBuffer(),
      expect: FACES,
    },

    // Sizes at and beyond the limits.
    {
      name: 'tiny-8x8.png',
      kind: 'PNG 8x8 (exactly minSide)',
      bytes: png(8, 8, 3, () => [128, 128, 128]),
      expect: { faces: 0 },
    },
    { name: 'tiny-1x1.png', kind: 'PNG 1x1', bytes: png(1, 1, 3, () => [255, 0, 0]), expect: IMAGE_TOO_SMALL },
    {
      name: 'tiny-7x7.jpg',
      kind: 'JPEG 7x7 (below minSide)',
      bytes: await sharp(source).resize(7, 7).jpeg().toBuffer(),
      expect: IMAGE_TOO_SMALL,
    },
    {
      name: 'strip-640x4.png',
      kind: 'PNG 640x4 (one side below minSide)',
      bytes: png(640, 4, 1, () => [0]),
      expect: IMAGE_TOO_SMALL,
    },
    {
      name: 'tall-8x70000.png',
      kind: 'PNG 8x70000 (a side over the 65536 letterbox limit)',
      bytes: zeroPng(8, 70000),
      expect: IMAGE_TOO_LARGE,
    },
    { name: 'wide-70000x8.png', kind: 'PNG 70000x8', bytes: zeroPng(70000, 8), expect: IMAGE_TOO_LARGE },
    {
      name: 'bomb-5000x5000.png',
      kind: 'PNG bomb: 5000x5000 zeros (25 MP) in a few KB',
      bytes: zeroPng(5000, 5000),
      expect: IMAGE_TOO_LARGE,
    },
    {
      name: 'bomb-claims-100000x100000.png',
      kind: 'PNG header claiming 100000x100000 (10 GP)',
      bytes: claimedPng(100_000, 100_000),
      expect: IMAGE_TOO_LARGE,
    },
    {
      name: 'bomb-claims-65500x65500.jpg',
      kind: 'JPEG frame header claiming 65500x65500',
      bytes: withFrameSize(jpeg, 65_500, 65_500),
      expect: IMAGE_TOO_LARGE,
    },
    {
      name: 'bomb-svg-100000.svg',
      kind: 'SVG declaring 100000x100000',
      bytes: svg(100_000, 100_000),
      expect: IMAGE_TOO_LARGE,
    },

    // Truncated at several points.
    {
      name: 'truncated-header.jpg',
      kind: 'JPEG cut at 200 bytes (inside the headers)',
      bytes: jpeg.subarray(0, 200),
      expect: IMAGE_DECODE_FAILED,
    },
    { name: 'truncated-50.jpg', kind: 'JPEG cut at 50%', bytes: truncate(jpeg, 0.5), expect: IMAGE_DECODE_FAILED },
    {
      name: 'truncated-no-eoi.jpg',
      kind: 'JPEG without its last 2 bytes (no EOI)',
      bytes: jpeg.subarray(0, jpeg.length - 2),
      expect: IMAGE_DECODE_FAILED,
    },
    {
      name: 'truncated-header-only.png',
      kind: 'PNG: signature + IHDR, no data',
      bytes: Buffer.concat([PNG_SIGNATURE, ihdr(width, height, 2)]),
      expect: IMAGE_DECODE_FAILED,
    },
    {
      name: 'truncated-signature.png',
      kind: 'PNG: the 8-byte signature only',
      bytes: PNG_SIGNATURE,
      expect: IMAGE_DECODE_FAILED,
    },
    { name: 'truncated-50.png', kind: 'PNG cut at 50%', bytes: truncate(pngRgb, 0.5), expect: IMAGE_DECODE_FAILED },
    {
      name: 'truncated-no-iend.png',
      kind: 'PNG without its IEND chunk',
      bytes: pngRgb.subarray(0, pngRgb.length - 12),
      expect: FACES,
    },
    { name: 'truncated-50.webp', kind: 'WebP cut at 50%', bytes: truncate(webp, 0.5), expect: IMAGE_DECODE_FAILED },
    { name: 'truncated-50.gif', kind: 'GIF cut at 50%', bytes: truncate(gif, 0.5), expect: IMAGE_DECODE_FAILED },
    { name: 'truncated-50.tiff', kind: 'TIFF cut at 50%', bytes: truncate(tiff, 0.5), expect: IMAGE_DECODE_FAILED },

    // Corrupt inside.
    {
      name: 'corrupt-huffman.jpg',
      kind: 'JPEG with corrupt Huffman data below the faces (decoder warning)',
      bytes: corruptScan(jpeg),
      expect: FACES,
      failOnWarning: IMAGE_DECODE_FAILED,
    },
    {
      name: 'zero-size-frame.jpg',
      kind: 'JPEG frame header of 0x0',
      bytes: withFrameSize(jpeg, 0, 0),
      expect: IMAGE_DECODE_FAILED,
    },
    {
      name: 'bad-crc.png',
      kind: 'PNG with a wrong IDAT CRC',
      bytes: (() => {
        const b = Buffer.from(pngRgb);
        const idat = b.indexOf('IDAT');
        const crcAt = idat + 4 + b.readUInt32BE(idat - 4);
        b[crcAt] = b[crcAt]! ^ 0xff;
        return b;
      })(),
      expect: FACES,
      failOnWarning: IMAGE_DECODE_FAILED,
    },
    {
      name: 'png-signature-then-jpeg.png',
      kind: 'PNG signature followed by JPEG data',
      bytes: Buffer.concat([PNG_SIGNATURE, jpeg]),
      expect: IMAGE_DECODE_FAILED,
    },
    {
      name: 'jpeg-soi-then-png.jpg',
      kind: 'JPEG SOI followed by PNG data',
      bytes: Buffer.concat([Buffer.from([0xff, 0xd8]), pngRgb]),
      expect: IMAGE_DECODE_FAILED,
    },

    // Not images.
    { name: 'empty.jpg', kind: 'zero bytes', bytes: Buffer.alloc(0), expect: IMAGE_EMPTY },
    { name: 'one-byte.jpg', kind: 'one byte', bytes: Buffer.from([0xff]), expect: IMAGE_DECODE_FAILED },
    { name: 'random-4k.jpg', kind: '4 KB of random bytes', bytes: noise(4096, 42), expect: IMAGE_DECODE_FAILED },
    {
      name: 'text.png',
      kind: 'plain text',
      bytes: Buffer.from('this is not an image\n'.repeat(50)),
      expect: IMAGE_DECODE_FAILED,
    },
    {
      name: 'page.html',
      kind: 'an HTML page',
      bytes: Buffer.from('<!doctype html><html><body><img src="x.jpg"></body></html>\n'),
      expect: IMAGE_DECODE_FAILED,
    },
    {
      name: 'bitmap.bmp',
      kind: 'BMP (a format sharp does not read)',
      bytes: (() => {
        const b = Buffer.alloc(54 + 16 * 16 * 3);
        b.write('BM', 0, 'latin1');
        b.writeUInt32LE(b.length, 2);
        b.writeUInt32LE(54, 10);
        b.writeUInt32LE(40, 14);
        b.writeInt32LE(16, 18);
        b.writeInt32LE(16, 22);
        b.writeUInt16LE(1, 26);
        b.writeUInt16LE(24, 28);
        return b;
      })(),
      expect: IMAGE_DECODE_FAILED,
    },
    { name: 'zeros-64k.jpg', kind: '64 KB of zero bytes', bytes: Buffer.alloc(65536), expect: IMAGE_DECODE_FAILED },
    // sharp rasterises SVG (librsvg); with no base URL it loads nothing external. Accepted: a picture without faces.
    { name: 'drawing.svg', kind: 'SVG (rasterised, no faces)', bytes: svg(320, 240), expect: { faces: 0 } },

    // Paths that are not image files (API by path and CLI only).
    {
      name: 'a-directory.jpg',
      kind: 'a directory named like an image',
      pathOnly: true,
      expect: { code: 'INVALID_ARGUMENT' },
    },
    { name: 'missing.jpg', kind: 'a path that does not exist', pathOnly: true, expect: { code: 'IMAGE_NOT_FOUND' } },
  ];
  return entries;
}

/** Writes the corpus into `dir` (created) and returns its entries with their paths. */
export async function writeHostileCorpus(dir: string): Promise<(CorpusEntry & { file: string; bytes?: Buffer })[]> {
  fs.mkdirSync(dir, { recursive: true });
  const entries = await buildHostileCorpus();
  return entries.map((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.bytes) fs.writeFileSync(file, entry.bytes);
    else if (entry.name === 'a-directory.jpg') fs.mkdirSync(file, { recursive: true });
    return { ...entry, file };
  });
}

/** "IMAGE_TOO_LARGE", "2 faces", ">= 0 faces". */
export function describeExpected(expected: Expected): string {
  if ('code' in expected) return expected.code;
  if ('faces' in expected) return `${expected.faces} face${expected.faces === 1 ? '' : 's'}`;
  return `>= ${expected.minFaces} faces`;
}
