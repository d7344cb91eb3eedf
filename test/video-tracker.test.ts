// The face tracker on synthetic boxes: steady motion, crossing paths, a missed frame, a face that leaves and returns.
import t from 'tap';
import type { Face } from '../lib/faces';
import { boxIoU, FaceTracker } from '../lib/video/tracker';

const FRAME_MS = 1000 / 30;

function face(cx: number, cy: number, size = 40, score = 0.9): Face {
  const h = size / 2;
  return {
    box: [cx - h, cy - h, cx + h, cy + h],
    score,
    landmarks: [
      [cx, cy],
      [cx, cy],
      [cx, cy],
      [cx, cy],
      [cx, cy],
    ],
  };
}

t.test('boxIoU', async (t) => {
  t.equal(boxIoU([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  t.equal(boxIoU([0, 0, 10, 10], [10, 0, 20, 10]), 0, 'touching boxes do not overlap');
  t.equal(boxIoU([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
});

t.test('a face moving steadily keeps its id; a second face gets another', async (t) => {
  const tracker = new FaceTracker();
  const ids = new Set<number>();
  for (let i = 0; i < 60; i++) {
    const [a, b] = tracker.update([face(100 + 6 * i, 200), face(600, 100 + 3 * i)], i * FRAME_MS);
    t.not(a!.trackId, b!.trackId);
    ids.add(a!.trackId).add(b!.trackId);
  }
  t.same([...ids].sort(), [1, 2], 'two tracks over 60 frames');
});

t.test('crossing paths: the motion model keeps each face on its own track', async (t) => {
  // Two faces of the same size move towards each other on the same line, pass through each other and go on.
  // At the crossing their boxes overlap more with each other's track than with their own last box; the predicted
  // positions (constant velocity) keep them apart.
  const tracker = new FaceTracker();
  const leftward: number[] = [];
  const rightward: number[] = [];
  for (let i = 0; i <= 40; i++) {
    const x1 = 100 + 10 * i; // 100 -> 500
    const x2 = 500 - 10 * i; // 500 -> 100
    const faces = tracker.update([face(x1, 300), face(x2, 304)], i * FRAME_MS);
    rightward.push(faces[0]!.trackId);
    leftward.push(faces[1]!.trackId);
  }
  t.same(new Set(rightward).size, 1, 'the face moving right kept one id');
  t.same(new Set(leftward).size, 1, 'the face moving left kept one id');
  t.not(rightward[40], leftward[40], 'and they did not swap');
  t.equal(rightward[0], rightward[40]);
});

t.test('a missed detection or two does not break the track; the prediction coasts', async (t) => {
  const tracker = new FaceTracker();
  const ids: number[] = [];
  for (let i = 0; i < 30; i++) {
    const present = i < 10 || i >= 13; // frames 10, 11, 12: the detector missed it
    const faces = tracker.update(present ? [face(100 + 8 * i, 100)] : [], i * FRAME_MS);
    if (present) ids.push(faces[0]!.trackId);
  }
  t.same(new Set(ids), new Set([1]), 'same id after 3 missed frames (the face moved 32 px meanwhile)');
});

t.test('a face that leaves and returns: same id within maxMissedMs, a new id after', async (t) => {
  const tracker = new FaceTracker({ maxMissedMs: 1000 });
  let time = 0;
  const step = (faces: Face[]) => tracker.update(faces, (time += FRAME_MS));
  const first = step([face(300, 300)])[0]!.trackId;
  for (let i = 0; i < 10; i++) step([face(300, 300)]);
  for (let i = 0; i < 15; i++) step([]); // 0.5 s away
  t.equal(step([face(302, 301)])[0]!.trackId, first, 'back after 0.5 s, near where it was: same id');
  for (let i = 0; i < 45; i++) step([]); // 1.5 s away
  const again = step([face(300, 300)])[0]!.trackId;
  t.not(again, first, 'back after 1.5 s: a new id (no appearance model)');
  t.equal(tracker.tracksStarted, 2);
});

t.test('a new face next to a tracked one starts its own track; far-apart boxes never match', async (t) => {
  const tracker = new FaceTracker();
  const [a] = tracker.update([face(100, 100)], 0);
  const [a2, b] = tracker.update([face(102, 100), face(400, 100)], FRAME_MS);
  t.equal(a2!.trackId, a!.trackId);
  t.equal(b!.trackId, 2);
  const [jump] = tracker.update([face(250, 100)], 2 * FRAME_MS); // overlaps neither track's prediction
  t.equal(jump!.trackId, 3);
});

t.test('confident faces are matched before weak ones (ByteTrack order)', async (t) => {
  const tracker = new FaceTracker({ highScore: 0.6 });
  const [tracked] = tracker.update([face(200, 200, 40, 0.95)], 0);
  // A weak box overlaps the track slightly better than the confident one; the confident one still wins the track.
  const faces = tracker.update([face(203, 200, 40, 0.4), face(205, 200, 40, 0.95)], FRAME_MS);
  t.equal(faces[1]!.trackId, tracked!.trackId, 'the confident face keeps the id');
  t.not(faces[0]!.trackId, tracked!.trackId);
});

t.test('result order and face fields are kept', async (t) => {
  const tracker = new FaceTracker();
  const input = [face(10, 10), face(500, 500, 60, 0.7)];
  const out = tracker.update(input, 0);
  t.same(
    out.map(({ trackId: _, ...f }) => f),
    input,
  );
});
