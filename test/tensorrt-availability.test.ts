// Acceptance 1 of the TensorRT backend on a machine without TensorRT (and without a GPU): the addon's real probe
// says what is missing, backend 'tensorrt' fails with BACKEND_UNAVAILABLE naming it, and 'auto' falls back to the
// CPU with a logged reason.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Detector, RetinaFaceError } from '../lib';
import { selectBackend, tensorRtUnavailableReason } from '../lib/backends/select';
import { probeTensorRt, TensorRtBackend } from '../lib/backends/tensorrt';
import { MODEL_DYNAMIC } from './helpers/shared';

const probe = probeTensorRt();
// The fake TensorRT layers the C++ tests use (build/trt-test-layers): a layer that loads without real TensorRT.
const FAKE_LAYERS = path.resolve(__dirname, '../build/trt-test-layers');

const tensorrt = { inputSize: { width: 640, height: 640 }, maxBatch: 4, preNmsTopK: 5000, maxFaces: 1000 } as const;

t.test('the probe explains what is missing', async (t) => {
  if (probe.available) {
    t.comment(`TensorRT ${probe.tensorrtVersion} is usable here: nothing missing to explain`);
    t.same(probe.missing, []);
    return;
  }
  t.type(probe.reason, 'string');
  t.match(probe.reason, /^TensorRT cannot run here: /);
  t.ok(probe.missing.length > 0, `missing: ${probe.missing.join(', ')}`);
  for (const piece of probe.missing) {
    t.ok(['tensorrt-library', 'nvidia-driver', 'gpu', 'tensorrt-layer', 'cuda-kernels'].includes(piece), piece);
  }
  if (probe.missing.includes('tensorrt-library')) t.match(probe.reason, /libnvinfer\.so\.(11|10)/);
  if (probe.missing.includes('nvidia-driver')) t.match(probe.reason, /no NVIDIA driver \(libcuda\.so\.1/);
  if (probe.missing.includes('gpu')) t.match(probe.reason, /no CUDA GPU/);
  t.equal(tensorRtUnavailableReason(), probe.reason, 'select.ts reports the addon probe verbatim');
  t.equal(probeTensorRt(), probe, 'cached');
});

t.test("backend 'tensorrt' fails with BACKEND_UNAVAILABLE naming the missing pieces", async (t) => {
  if (probe.available) {
    t.comment('TensorRT is available here: nothing to fall back from');
    return;
  }
  const error = await Detector.create({ model: MODEL_DYNAMIC, backend: 'tensorrt' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, RetinaFaceError);
  t.equal((error as RetinaFaceError).code, 'BACKEND_UNAVAILABLE');
  t.ok((error as RetinaFaceError).message.includes(probe.reason!), (error as Error).message);

  const selected = await selectBackend('tensorrt', MODEL_DYNAMIC, { tensorrt }).catch((e: unknown) => e);
  t.equal((selected as RetinaFaceError).code, 'BACKEND_UNAVAILABLE');
  const loaded = await TensorRtBackend.load({ ...tensorrt, model: MODEL_DYNAMIC }).catch((e: unknown) => e);
  t.equal((loaded as RetinaFaceError).code, 'BACKEND_UNAVAILABLE');
  t.match((loaded as Error).message, /backend 'tensorrt' is unavailable: TensorRT cannot run here/);
});

t.test("backend 'auto' falls back to the CPU and logs why", async (t) => {
  if (probe.available) {
    t.comment('TensorRT is available here: nothing to fall back from');
    return;
  }
  const lines: string[] = [];
  const { backend, info } = await selectBackend('auto', MODEL_DYNAMIC, {
    tensorrt,
    log: (level, message) => lines.push(`${level}: ${message}`),
  });
  t.teardown(() => backend.close());
  t.equal(info.name, 'cpu');
  t.equal(info.requested, 'auto');
  t.equal(info.reason, `TensorRT not used: ${probe.reason}`);
  t.equal(lines.length, 1);
  t.match(lines[0], /^debug: backend auto: using the CPU\. TensorRT not used: TensorRT cannot run here/);

  const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'auto' });
  t.teardown(() => detector.close());
  t.equal(detector.backendInfo.name, 'cpu');
  t.match(detector.backendInfo.reason, probe.reason!);
});

t.test('a layer that loads is reported, and the rest still explained', async (t) => {
  const dir = path.join(FAKE_LAYERS, 'mixed');
  if (!fs.existsSync(path.join(dir, 'libretinaface_trt10.so'))) {
    t.comment('fake layers not built (run npm run build)');
    return;
  }
  const withLayer = probeTensorRt({ layerDir: dir });
  t.equal(withLayer.layerDir, dir);
  t.equal(withLayer.tensorrtMajor, 10, 'the TensorRT 11 layer could not load its library, the 10 one did');
  t.equal(withLayer.tensorrtVersion, '10.16.1');
  t.equal(withLayer.libraryPath, '/fake/libnvinfer.so.10');
  t.notOk(withLayer.missing.includes('tensorrt-library'));
  t.notOk(withLayer.missing.includes('tensorrt-layer'));
  if (!withLayer.available) t.notMatch(withLayer.reason, /libnvinfer/);

  const empty = probeTensorRt({ layerDir: path.join(FAKE_LAYERS, 'does-not-exist') });
  t.notOk(empty.available);
  t.ok(empty.missing.includes('tensorrt-library') || empty.missing.includes('tensorrt-layer'));
});
