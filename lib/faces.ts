/** Faces as the public API returns them, unpacked from the addon's flat float arrays. */
import { FACE_FLOATS } from './binding';

export type Point = [x: number, y: number];

export interface Face {
  /** [x1, y1, x2, y2] in the original image's pixels (after EXIF orientation). */
  box: [number, number, number, number];
  /** Face probability in (0, 1]. */
  score: number;
  /** Left eye, right eye, nose tip, left mouth corner, right mouth corner (left/right as seen in the image). */
  landmarks: [Point, Point, Point, Point, Point];
}

/** Splits the addon's flat output (15 floats a face) into one Face[] per image. */
export function unpackFaces(flat: Float32Array, counts: Int32Array): Face[][] {
  const result: Face[][] = [];
  let offset = 0;
  for (const count of counts) {
    const faces: Face[] = [];
    for (let i = 0; i < count; i++, offset += FACE_FLOATS) {
      const f = flat.subarray(offset, offset + FACE_FLOATS);
      faces.push({
        box: [f[0]!, f[1]!, f[2]!, f[3]!],
        score: f[4]!,
        landmarks: [
          [f[5]!, f[6]!],
          [f[7]!, f[8]!],
          [f[9]!, f[10]!],
          [f[11]!, f[12]!],
          [f[13]!, f[14]!],
        ],
      });
    }
    result.push(faces);
  }
  return result;
}
