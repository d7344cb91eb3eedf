/**
 * Face tracks across frames, in the spirit of SORT / ByteTrack: each track predicts where its face will be from its
 * recent motion (constant velocity), detections are matched to predictions by IoU (greedy, best pairs first:
 * confident faces first, then the rest, as ByteTrack does), an unmatched face starts a new track, and a track
 * survives a few frames without a match (a blink of the detector, a face briefly hidden) before it ends. No
 * appearance model: a face that is gone longer than `maxMissedMs` comes back with a new id.
 */
import type { Face } from '../faces';

export interface TrackerOptions {
  /** Least IoU between a track's predicted box and a face for them to match. Default 0.3. */
  iouThreshold?: number;
  /** How long a track waits for its face to come back, in ms of video time. Default 1000. */
  maxMissedMs?: number;
  /** Faces at or above this score are matched first (ByteTrack's high-confidence pass). Default 0.6. */
  highScore?: number;
}

export type TrackedFace = Face & { trackId?: number };

type Box = [number, number, number, number];

interface Track {
  id: number;
  box: Box;
  /** Box change per millisecond (x1, y1, x2, y2), smoothed. */
  velocity: Box;
  lastSeenMs: number;
}

export function boxIoU(a: readonly number[], b: readonly number[]): number {
  const w = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const h = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return union > 0 ? inter / union : 0;
}

/** Weight of the newest motion in the smoothed velocity. */
const VELOCITY_GAIN = 0.5;

export class FaceTracker {
  private readonly iouThreshold: number;
  private readonly maxMissedMs: number;
  private readonly highScore: number;
  private tracks: Track[] = [];
  private nextId = 1;

  constructor(options: TrackerOptions = {}) {
    this.iouThreshold = options.iouThreshold ?? 0.3;
    this.maxMissedMs = options.maxMissedMs ?? 1000;
    this.highScore = options.highScore ?? 0.6;
  }

  /** Number of track ids handed out so far. */
  get tracksStarted(): number {
    return this.nextId - 1;
  }

  /** Gives every face of the frame at `timeMs` a trackId (same order as `faces`); times must not go backwards. */
  update<F extends Face>(faces: readonly F[], timeMs: number): Array<F & { trackId: number }> {
    this.tracks = this.tracks.filter((t) => timeMs - t.lastSeenMs <= this.maxMissedMs);
    const predicted = this.tracks.map((t) => predict(t, timeMs));
    const assigned = new Array<number | undefined>(faces.length);
    const free = new Set(this.tracks.map((_, i) => i));
    const high = faces.map((_, i) => i).filter((i) => faces[i]!.score >= this.highScore);
    const low = faces.map((_, i) => i).filter((i) => faces[i]!.score < this.highScore);
    for (const group of [high, low]) {
      const pairs: Array<{ face: number; track: number; iou: number }> = [];
      for (const face of group) {
        for (const track of free) {
          const iou = boxIoU(faces[face]!.box, predicted[track]!);
          if (iou >= this.iouThreshold) pairs.push({ face, track, iou });
        }
      }
      pairs.sort((a, b) => b.iou - a.iou || a.face - b.face || a.track - b.track);
      for (const { face, track } of pairs) {
        if (assigned[face] !== undefined || !free.has(track)) continue;
        free.delete(track);
        assigned[face] = track;
      }
    }
    return faces.map((face, i) => {
      const index = assigned[i];
      if (index === undefined) {
        const track: Track = {
          id: this.nextId++,
          box: [...face.box] as Box,
          velocity: [0, 0, 0, 0],
          lastSeenMs: timeMs,
        };
        this.tracks.push(track);
        return { ...face, trackId: track.id };
      }
      const track = this.tracks[index]!;
      const dt = timeMs - track.lastSeenMs;
      if (dt > 0) {
        for (let k = 0; k < 4; k++) {
          const observed = (face.box[k]! - track.box[k]!) / dt;
          track.velocity[k] = VELOCITY_GAIN * observed + (1 - VELOCITY_GAIN) * track.velocity[k]!;
        }
      }
      track.box = [...face.box] as Box;
      track.lastSeenMs = timeMs;
      return { ...face, trackId: track.id };
    });
  }
}

function predict(track: Track, timeMs: number): Box {
  const dt = timeMs - track.lastSeenMs;
  return track.box.map((v, k) => v + track.velocity[k]! * dt) as Box;
}
