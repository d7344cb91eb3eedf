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
  /** Print each face's score above its box (after its trackId, for faces from detectVideo with `track`). Default true. */
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

function resolveOptions(
  options: AnnotateOptions,
): Required<Omit<AnnotateOptions, 'lineWidth'>> & { lineWidth?: number } {
  if (typeof options !== 'object' || options === null) invalid('options must be an object');
  for (const key of Object.keys(options)) {
    if (!['format', 'quality', 'scores', 'lineWidth'].includes(key)) invalid(`unknown option '${key}'`);
  }
  const format = options.format ?? 'jpeg';
  if (!['jpeg', 'png', 'webp'].includes(format))
    invalid(`format must be 'jpeg', 'png' or 'webp', got '${String(format)}'`);
  const quality = options.quality ?? 90;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100)
    invalid(`quality must be an integer in [1, 100], got ${String(quality)}`);
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
    const ok =
      typeof face === 'object' &&
      face !== null &&
      Array.isArray(face.box) &&
      face.box.length === 4 &&
      face.box.every(Number.isFinite) &&
      Number.isFinite(face.score) &&
      Array.isArray(face.landmarks) &&
      face.landmarks.length === 5 &&
      (face.landmarks as unknown[]).every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite));
    if (!ok) invalid(`faces[${i}] must be a detection {box, score, landmarks} of finite numbers`);
  });
}

const fmt = (v: number) => (Math.round(v * 100) / 100).toString();

/** The text above a face's box: its track id (faces from detectVideo with `track`) and its score. */
function faceLabel(face: Face & { trackId?: number }, scores: boolean): string {
  const id = typeof face.trackId === 'number' ? `#${face.trackId}` : '';
  return [id, scores ? face.score.toFixed(3) : ''].filter(Boolean).join(' ');
}

interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

const drawSizes = (lineWidth: number) => ({
  radius: Math.max(2, lineWidth * 1.5),
  fontSize: Math.max(10, Math.round(lineWidth * 6)),
});

/** The part of a width x height image the overlay can touch (boxes, landmarks, labels above or below), or null. */
function overlayRegion(
  width: number,
  height: number,
  faces: readonly Face[],
  lineWidth: number,
  scores: boolean,
): Region | null {
  const { radius, fontSize } = drawSizes(lineWidth);
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const face of faces) {
    const [bx1, by1, bx2, by2] = face.box;
    const label = faceLabel(face, scores);
    const margin = lineWidth + radius;
    x0 = Math.min(x0, bx1 - margin, ...face.landmarks.map(([x]) => x - margin));
    x1 = Math.max(x1, bx2 + margin, bx1 + label.length * fontSize, ...face.landmarks.map(([x]) => x + margin));
    y0 = Math.min(y0, by1 - fontSize - 2 * lineWidth, ...face.landmarks.map(([, y]) => y - margin));
    y1 = Math.max(y1, by2 + fontSize + 2 * lineWidth, ...face.landmarks.map(([, y]) => y + margin));
  }
  const left = Math.max(0, Math.floor(x0));
  const top = Math.max(0, Math.floor(y0));
  const right = Math.min(width, Math.ceil(x1));
  const bottom = Math.min(height, Math.ceil(y1));
  return right > left && bottom > top ? { left, top, width: right - left, height: bottom - top } : null;
}

/** The overlay: one SVG over `region` of the image (its view box), in image coordinates. */
function overlaySvg(region: Region, faces: readonly Face[], lineWidth: number, scores: boolean): string {
  const { radius, fontSize } = drawSizes(lineWidth);
  const parts: string[] = [];
  for (const face of faces) {
    const [x1, y1, x2, y2] = face.box;
    parts.push(
      `<rect x="${fmt(x1)}" y="${fmt(y1)}" width="${fmt(Math.max(0, x2 - x1))}" height="${fmt(Math.max(0, y2 - y1))}" ` +
        `fill="none" stroke="${ANNOTATION_COLOURS.box}" stroke-width="${fmt(lineWidth)}"/>`,
    );
    face.landmarks.forEach(([x, y], k) => {
      parts.push(
        `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="${fmt(radius)}" fill="${ANNOTATION_COLOURS.landmarks[k]}"/>`,
      );
    });
    const label = faceLabel(face, scores);
    if (label) {
      const textY = y1 - lineWidth > fontSize ? y1 - lineWidth : y2 + fontSize + lineWidth;
      parts.push(
        `<text x="${fmt(x1)}" y="${fmt(textY)}" font-family="sans-serif" font-size="${fontSize}" ` +
          `fill="${ANNOTATION_COLOURS.box}" stroke="black" stroke-width="${fmt(Math.max(1, fontSize / 12))}" ` +
          `paint-order="stroke">${label}</text>`,
      );
    }
  }
  const { left, top, width, height } = region;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="${left} ${top} ${width} ${height}">${parts.join(
    '',
  )}</svg>`;
}

const defaultLineWidth = (width: number, height: number) => Math.max(2, Math.round(Math.min(width, height) / 400));

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
export async function annotate(
  input: ImageInput,
  faces: readonly Face[],
  options: AnnotateOptions = {},
): Promise<Buffer> {
  const resolved = resolveOptions(options);
  checkFaces(faces);
  const pixels = await decodeImage(input, STANDALONE_IMAGE_LIMITS);
  const { width, height } = pixels;
  const lineWidth = resolved.lineWidth ?? defaultLineWidth(width, height);
  const { data, channels } = asRgb(pixels);
  const svg = overlaySvg({ left: 0, top: 0, width, height }, faces, lineWidth, resolved.scores);
  let image = sharp(data, { raw: { width, height, channels } })
    .removeAlpha()
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  image =
    resolved.format === 'png'
      ? image.png()
      : resolved.format === 'webp'
        ? image.webp({ quality: resolved.quality })
        : image.jpeg({ quality: resolved.quality });
  return render(image);
}

async function render(image: sharp.Sharp): Promise<Buffer> {
  try {
    return await image.toBuffer();
  } catch (error) {
    throw new RetinaFaceError('NATIVE_ERROR', `drawing the annotations failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The drawing of some faces over a video frame: the RGBA pixels of the region it touches. */
export interface FrameOverlay {
  left: number;
  top: number;
  width: number;
  height: number;
  rgba: Uint8Array;
}

/**
 * `faces` drawn as annotate() draws them (boxes, landmarks, track ids and scores) for a width x height frame, or null
 * when there is nothing to draw. Only the touched region is rendered, to RGBA, so that it can be laid over any number
 * of frames (blendFrameOverlay): sharp's whole-frame composite costs about 30 ms of CPU a 1080p frame.
 */
export async function renderFrameOverlay(
  width: number,
  height: number,
  faces: readonly Face[],
): Promise<FrameOverlay | null> {
  const lineWidth = defaultLineWidth(width, height);
  const region = overlayRegion(width, height, faces, lineWidth, true);
  if (!region) return null;
  const rgba = await render(
    sharp(Buffer.from(overlaySvg(region, faces, lineWidth, true)))
      .ensureAlpha()
      .raw(),
  );
  if (rgba.length !== region.width * region.height * 4) {
    throw new RetinaFaceError(
      'NATIVE_ERROR',
      `the overlay came out at ${rgba.length} bytes for ${region.width}x${region.height} RGBA`,
    );
  }
  return { ...region, rgba };
}

/** Lays `overlay` over a frame's RGB pixels, in place (alpha blending, as a composite). */
export function blendFrameOverlay(frame: { data: Uint8Array; width: number }, overlay: FrameOverlay): void {
  const { data, width } = frame;
  const { left, top, rgba } = overlay;
  for (let y = 0; y < overlay.height; y++) {
    let o = y * overlay.width * 4;
    let d = ((top + y) * width + left) * 3;
    for (let x = 0; x < overlay.width; x++, o += 4, d += 3) {
      const a = rgba[o + 3]!;
      if (a === 0) continue;
      for (let c = 0; c < 3; c++) data[d + c] = Math.round((rgba[o + c]! * a + data[d + c]! * (255 - a)) / 255);
    }
  }
}
