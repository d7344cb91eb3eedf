/** Pictures of detections: boxes, the five landmarks in distinct colours and scores, drawn with sharp over the image. */
import sharp from 'sharp';
import { STANDALONE_IMAGE_LIMITS } from './align';
import type { RawPixels } from './binding';
import { RetinaFaceError } from './errors';
import type { Face } from './faces';
import { decodeImage, type ImageInput } from './image';

export type AnnotateFormat = 'jpeg' | 'png' | 'webp';

export interface AnnotateOptions {
  /** Output encoding. Default 'jpeg'. */
  format?: AnnotateFormat;
  /** JPEG / WebP quality, 1..100. Default 90. */
  quality?: number;
  /** Print each face's score above its box. Default true. */
  scores?: boolean;
  /** Line width in pixels. Default: about 1/400 of the image's shorter side, at least 2. */
  lineWidth?: number;
}

/** Box colour, then the landmarks: left eye, right eye, nose, left mouth corner, right mouth corner. */
export const ANNOTATION_COLOURS = {
  box: '#00e676',
  landmarks: ['#ff1744', '#2979ff', '#ffea00', '#d500f9', '#00e5ff'],
} as const;

function invalid(message: string): never {
  throw new RetinaFaceError('INVALID_ARGUMENT', message);
}

function resolveOptions(options: AnnotateOptions): Required<Omit<AnnotateOptions, 'lineWidth'>> & { lineWidth?: number } {
  if (typeof options !== 'object' || options === null) invalid('options must be an object');
  for (const key of Object.keys(options)) {
    if (!['format', 'quality', 'scores', 'lineWidth'].includes(key)) invalid(`unknown option '${key}'`);
  }
  const format = options.format ?? 'jpeg';
  if (!['jpeg', 'png', 'webp'].includes(format)) invalid(`format must be 'jpeg', 'png' or 'webp', got '${String(format)}'`);
  const quality = options.quality ?? 90;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) invalid(`quality must be an integer in [1, 100], got ${String(quality)}`);
  const scores = options.scores ?? true;
  if (typeof scores !== 'boolean') invalid('scores must be a boolean');
  const { lineWidth } = options;
  if (lineWidth !== undefined && (typeof lineWidth !== 'number' || !(lineWidth > 0 && lineWidth <= 100))) {
    invalid(`lineWidth must be a number in (0, 100], got ${String(lineWidth)}`);
  }
  return { format, quality, scores, ...(lineWidth !== undefined ? { lineWidth } : {}) };
}

function checkFaces(faces: readonly Face[]): void {
  if (!Array.isArray(faces)) invalid('faces must be an array of detections');
  faces.forEach((face, i) => {
    const ok = typeof face === 'object' && face !== null && Array.isArray(face.box) && face.box.length === 4 &&
      face.box.every(Number.isFinite) && Number.isFinite(face.score) && Array.isArray(face.landmarks) &&
      face.landmarks.length === 5 && (face.landmarks as unknown[]).every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite));
    if (!ok) invalid(`faces[${i}] must be a detection {box, score, landmarks} of finite numbers`);
  });
}

const fmt = (v: number) => (Math.round(v * 100) / 100).toString();

/** The overlay: one SVG the size of the image. */
function overlaySvg(width: number, height: number, faces: readonly Face[], lineWidth: number, scores: boolean): string {
  const radius = Math.max(2, lineWidth * 1.5);
  const fontSize = Math.max(10, Math.round(lineWidth * 6));
  const parts: string[] = [];
  for (const face of faces) {
    const [x1, y1, x2, y2] = face.box;
    parts.push(`<rect x="${fmt(x1)}" y="${fmt(y1)}" width="${fmt(Math.max(0, x2 - x1))}" height="${fmt(Math.max(0, y2 - y1))}" ` +
      `fill="none" stroke="${ANNOTATION_COLOURS.box}" stroke-width="${fmt(lineWidth)}"/>`);
    face.landmarks.forEach(([x, y], k) => {
      parts.push(`<circle cx="${fmt(x)}" cy="${fmt(y)}" r="${fmt(radius)}" fill="${ANNOTATION_COLOURS.landmarks[k]}"/>`);
    });
    if (scores) {
      const textY = y1 - lineWidth > fontSize ? y1 - lineWidth : y2 + fontSize + lineWidth;
      parts.push(`<text x="${fmt(x1)}" y="${fmt(textY)}" font-family="sans-serif" font-size="${fontSize}" ` +
        `fill="${ANNOTATION_COLOURS.box}" stroke="black" stroke-width="${fmt(Math.max(1, fontSize / 12))}" ` +
        `paint-order="stroke">${face.score.toFixed(3)}</text>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

/** Gray pixels as RGB (the overlay is in colour). */
function asRgb(pixels: RawPixels): { data: Uint8Array; channels: 3 | 4 } {
  if (pixels.channels !== 1) return { data: pixels.data, channels: pixels.channels };
  const rgb = new Uint8Array(pixels.data.length * 3);
  for (let i = 0; i < pixels.data.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = pixels.data[i]!;
  return { data: rgb, channels: 3 };
}

/**
 * The image with each face's box, its five landmarks (left eye red, right eye blue, nose yellow, left mouth corner
 * magenta, right mouth corner cyan) and its score drawn over it, encoded as JPEG (default), PNG or WebP.
 * Coordinates are those detect() returns (original pixels, EXIF orientation applied).
 */
export async function annotate(input: ImageInput, faces: readonly Face[], options: AnnotateOptions = {}): Promise<Buffer> {
  const resolved = resolveOptions(options);
  checkFaces(faces);
  const pixels = await decodeImage(input, STANDALONE_IMAGE_LIMITS);
  const { width, height } = pixels;
  const lineWidth = resolved.lineWidth ?? Math.max(2, Math.round(Math.min(width, height) / 400));
  const { data, channels } = asRgb(pixels);
  const svg = overlaySvg(width, height, faces, lineWidth, resolved.scores);
  let image = sharp(data, { raw: { width, height, channels } })
    .removeAlpha()
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  image = resolved.format === 'png' ? image.png() : resolved.format === 'webp' ? image.webp({ quality: resolved.quality })
    : image.jpeg({ quality: resolved.quality });
  try {
    return await image.toBuffer();
  } catch (error) {
    throw new RetinaFaceError('NATIVE_ERROR', `drawing the annotations failed: ${(error as Error).message}`, { cause: error });
  }
}
