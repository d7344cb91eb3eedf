// The resnet50 configuration (issue 8, acceptance 2). No trained RetinaFace-ResNet50 weights are available to the
// project, so the graph is built from random weights with biubug6's names and shapes and run in onnxruntime-node.
import * as ort from 'onnxruntime-node';
import t from 'tap';
import { buildRetinaFace, detectArchitecture } from '../lib/models/retinaface/build-graph';
import { encodeModel } from '../lib/models/onnx/graph-builder';
import { randomResnet50StateDict } from './helpers/random-weights';

/** Anchors for an input: 2 per cell of the stride 8, 16 and 32 maps (ceil division, as the convolutions round). */
const priors = (h: number, w: number) => [8, 16, 32].reduce((n, s) => n + Math.ceil(h / s) * Math.ceil(w / s) * 2, 0);

t.test('random resnet50 weights ("module." prefixed) build a graph that runs at odd sizes and batch 2', async (t) => {
  const weights = randomResnet50StateDict(7, 'module.');
  t.equal(detectArchitecture(weights, 'random'), 'resnet50', 'recognised from the parameter names');
  const graph = buildRetinaFace(weights, { source: 'random resnet50' });
  const model = graph.toModel({ graphName: 'retinaface-resnet50', producerVersion: 'test' });
  const ops = model.graph!.node!.map((n) => n.opType);
  t.equal(
    ops.filter((o) => o === 'Conv').length,
    53 + 5 + 15 + 9,
    'backbone 53 + FPN 5 + SSH 15 + heads 9 convolutions',
  );
  t.equal(ops.filter((o) => o === 'LeakyRelu').length, 0, 'out_channel 256 > 64: FPN and SSH use ReLU (slope 0)');
  t.equal(ops.filter((o) => o === 'MaxPool').length, 1);

  const session = await ort.InferenceSession.create(encodeModel(model));
  t.teardown(() => session.release());
  for (const [batch, height, width] of [
    [1, 97, 131],
    [2, 64, 48],
  ] as const) {
    const input = new Float32Array(batch * 3 * height * width).map((_, i) => ((i * 7919) % 255) - 117);
    const out = await session.run({ input0: new ort.Tensor('float32', input, [batch, 3, height, width]) });
    const n = priors(height, width);
    t.same(out.loc!.dims, [batch, n, 4], `${batch}x3x${height}x${width}: loc`);
    t.same(out.conf!.dims, [batch, n, 2]);
    t.same(out.landms!.dims, [batch, n, 10]);
    const conf = out.conf!.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < conf.length; i += 2) worst = Math.max(worst, Math.abs(conf[i]! + conf[i + 1]! - 1));
    t.ok(worst < 1e-5, 'conf rows are softmaxed');
    t.ok(
      [out.loc!, out.landms!].every((o) => (o.data as Float32Array).every(Number.isFinite)),
      'finite outputs',
    );
  }
});
