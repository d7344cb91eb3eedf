// The real TensorRT layers, through the addon, against the TensorRT stand-in (build/trt-standin/<N>: fake
// libnvinfer/libnvonnxparser compiled against the real headers): the probe loads the layer, the layer loads the
// "TensorRT" through RETINAFACE_TENSORRT_LIB_DIR and reports its version; only the driver is then missing here.
// And `retinaface verify`: its "TensorRT unavailable" exit code and words, and its face matching.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { Face } from '../lib/faces';
import { iou, matchFaces, VerifyExitCodes } from '../lib/verify';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist/lib/cli/main.js');
const layers = path.join(root, 'build/Release');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

for (const major of [10, 11]) {
  const standin = path.join(root, `build/trt-standin/${major}`);
  const present =
    fs.existsSync(path.join(standin, `libnvinfer.so.${major}`)) &&
    fs.existsSync(path.join(layers, `libretinaface_trt${major}.so`));
  t.test(
    `the real TensorRT ${major} layer loads the stand-in through the addon`,
    { skip: present ? false : `no ${standin} (npm run build with ../shared)` },
    async (t) => {
      // A child process: the layer loads libnvinfer once per process.
      const script = `const { probeTensorRt } = require(${JSON.stringify(path.join(root, 'dist/lib/backends/tensorrt.js'))});
      console.log(JSON.stringify(probeTensorRt({ layerDir: ${JSON.stringify(layers)} })));`;
      // The addon tries the 11 layer first: with the 10 stand-in's folder it finds no libnvinfer.so.11 and falls to 10.
      const result = spawnSync(process.execPath, ['-e', script], {
        encoding: 'utf8',
        env: { ...process.env, RETINAFACE_TENSORRT_LIB_DIR: standin, RETINAFACE_TRT_LAYER_DIR: '' },
      });
      t.equal(result.status, 0, result.stderr);
      const probe = JSON.parse(result.stdout);
      t.equal(probe.tensorrtMajor, major);
      t.equal(
        probe.tensorrtVersion,
        major === 10 ? '10.0.0' : '11.1.0',
        'the version the stand-in reports (its headers)',
      );
      t.equal(probe.libraryPath, path.join(standin, `libnvinfer.so.${major}`));
      t.equal(probe.layerPath, path.join(layers, `libretinaface_trt${major}.so`));
      t.same(
        probe.missing.filter((m: string) => m !== 'nvidia-driver' && m !== 'gpu'),
        [],
        'only the driver or GPU is missing',
      );
      t.match(probe.reason, /no NVIDIA driver|no CUDA GPU/);
    },
  );
}

t.test('retinaface verify without TensorRT: its own exit code, and what is missing', async (t) => {
  const text = run(['verify']);
  t.equal(text.status, VerifyExitCodes.unavailable);
  t.equal(VerifyExitCodes.unavailable, 3);
  t.match(text.stdout, /^TensorRT unavailable: TensorRT cannot run here: /);
  t.match(text.stdout, /missing: .*nvidia-driver/);
  t.match(text.stdout, /libretinaface_trt11\.so: present|libretinaface_trt11\.so: not built/);
  const json = run(['verify', '--json']);
  t.equal(json.status, 3);
  const report = JSON.parse(json.stdout);
  t.equal(report.status, 'unavailable');
  t.ok(report.missing.includes('nvidia-driver'));
  t.ok(report.missing.includes('tensorrt-library'));
});

t.test(
  'retinaface verify with the stand-in TensorRT: only the driver is missing',
  { skip: fs.existsSync(path.join(root, 'build/trt-standin/10')) ? false : 'no stand-in' },
  async (t) => {
    const result = run(['verify', '--json'], {
      RETINAFACE_TENSORRT_LIB_DIR: path.join(root, 'build/trt-standin/10'),
      RETINAFACE_TRT_LAYER_DIR: layers,
    });
    t.equal(result.status, 3);
    const report = JSON.parse(result.stdout);
    t.notOk(report.missing.includes('tensorrt-library'), 'the layer loaded the stand-in libnvinfer.so.10');
    t.ok(report.missing.includes('nvidia-driver'));
  },
);

const face = (box: Face['box'], score = 0.9): Face => ({
  box,
  score,
  landmarks: [
    [box[0], box[1]],
    [box[2], box[1]],
    [box[0], box[3]],
    [box[2], box[3]],
    [box[0], box[1]],
  ],
});

t.test('verify matches faces one to one by IoU', async (t) => {
  t.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  t.equal(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
  t.equal(iou([0, 0, 10, 10], [20, 20, 30, 30]), 0);
  const cpu = [face([0, 0, 100, 100]), face([200, 0, 300, 100])];
  const trt = [face([200, 0, 300, 100.5]), face([0, 0, 100, 100]), face([400, 0, 500, 100])];
  const { pairs, cpuLeft, trtLeft } = matchFaces(cpu, trt, 0.98);
  t.equal(pairs.length, 2);
  t.same(
    pairs.map(([a, b]) => [a.box[0], b.box[0]]),
    [
      [0, 0],
      [200, 200],
    ],
  );
  t.same(cpuLeft, []);
  t.same(
    trtLeft.map((f) => f.box[0]),
    [400],
  );
  // 0.995 IoU passes FP32's 0.98; a box shifted by 3 px does not.
  t.equal(matchFaces([face([0, 0, 100, 100])], [face([3, 0, 103, 100])], 0.98).pairs.length, 0);
  t.equal(matchFaces([face([0, 0, 100, 100])], [face([3, 0, 103, 100])], 0.9).pairs.length, 1);
});
