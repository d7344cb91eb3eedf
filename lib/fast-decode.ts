/**
 * `decode: 'fast'`: a large JPEG is decoded straight to the letterbox's size. libjpeg decodes it at 1/2, 1/4 or
 * 1/8 scale (DCT scaling, via sharp's shrink-on-load), libvips reduces the rest linearly to the exact size our
 * letterbox would resize it to, and the letterbox then only copies. Faces come back in that smaller image's pixels
 * and are mapped to the original's by the exact per-axis ratios.
 */
import type { Face } from './faces';
import type { DecodeResize, ImageHeader } from './image';

/** sharp uses shrink-on-load only from a total shrink of 3 (a factor of 2 from 3, 4 from 5, 8 from 9). */
export const MIN_FAST_SHRINK = 3;

export interface FastDecodePlan extends DecodeResize {
  /** Original (display) size: faces are mapped back to it. */
  sourceWidth: number;
  sourceHeight: number;
}

/** Round half to even, as the native letterbox's std::nearbyint. */
function nearbyint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The decode size for a header and canvas, or undefined when the exact path is as fast (not a JPEG, small). */
export function planFastDecode(
  header: ImageHeader,
  canvas: { width: number; height: number },
): FastDecodePlan | undefined {
  if (header.format !== 'jpeg') return undefined;
  const { width, height } = header.display ?? header;
  const scale = Math.min(canvas.width / width, canvas.height / height);
  const resizedWidth = Math.min(canvas.width, Math.max(1, nearbyint(width * scale)));
  const resizedHeight = Math.min(canvas.height, Math.max(1, nearbyint(height * scale)));
  if (Math.min(width / resizedWidth, height / resizedHeight) < MIN_FAST_SHRINK) return undefined;
  return { width: resizedWidth, height: resizedHeight, sourceWidth: width, sourceHeight: height };
}

/** Faces found in the plan's decoded image, in the original image's pixels (boxes clipped as they were). */
export function mapFacesToSource(faces: Face[], plan: FastDecodePlan, clip: boolean): Face[] {
  const sx = plan.sourceWidth / plan.width,
    sy = plan.sourceHeight / plan.height;
  const cx = (x: number) => (clip ? Math.min(Math.max(x * sx, 0), plan.sourceWidth) : x * sx);
  const cy = (y: number) => (clip ? Math.min(Math.max(y * sy, 0), plan.sourceHeight) : y * sy);
  return faces.map((face) => ({
    ...face,
    box: [cx(face.box[0]), cy(face.box[1]), cx(face.box[2]), cy(face.box[3])],
    landmarks: face.landmarks.map(([x, y]) => [x * sx, y * sy]) as Face['landmarks'],
  }));
}
