// The benchmark harness on a tiny run: it writes JSON + Markdown + SVG, and the JSON has the documented shape.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';

t.test('a tiny benchmark run writes a well-formed report', async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-bench-'));
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.resolve(__dirname, '../benchmarks/bench.ts'),
      '--out',
      out,
      '--seconds',
      '0.1',
      '--repeats',
      '2',
      '--images',
      '3',
      '--accuracy-images',
      '3',
      '--batches',
      '1,2',
      '--concurrency',
      '1,2',
    ],
    { encoding: 'utf8' },
  );
  t.equal(run.status, 0, run.stderr.slice(-2000));
  const files = fs.readdirSync(out);
  const json = files.find((f) => f.endsWith('.json'));
  t.ok(
    json && files.includes(json.replace('.json', '.md')) && files.includes(json.replace('.json', '.svg')),
    `json, md, svg: ${files.join(', ')}`,
  );
  const report = JSON.parse(fs.readFileSync(path.join(out, json!), 'utf8'));
  t.equal(report.schema, 'retinaface-bench/1');
  t.match(report.machine, { cpu: String, cores: Number, node: String, onnxruntime: String, gpu: String });
  t.same(report.settings.batches, [1, 2]);
  const spread = { median: Number, min: Number, max: Number, runs: Array };
  const throughput = { imagesPerSecond: spread, latencyMs: { p50: Number, p95: Number, p99: Number } };
  const cpu = report.variants.find((v: { id: string }) => v.id === 'cpu-fp32');
  t.match(
    report.variants.find((v: { id: string }) => v.id === 'cpu-fp32-fast'),
    { decode: 'fast', present: true, endToEnd: { 1: throughput } },
  );
  t.match(
    report.variants.find((v: { id: string }) => v.id === 'cpu-int8'),
    { precision: 'int8', present: false, absentReason: /INT8 model/ },
  );
  t.match(cpu, {
    present: true,
    batch: { 1: throughput, 2: throughput },
    endToEnd: { 1: throughput },
    concurrency: { 2: throughput },
  });
  t.equal(cpu.batch[1].imagesPerSecond.runs.length, 2, 'repeated runs kept');
  t.ok(cpu.batch[2].imagesPerSecond.median > 0);
  t.match(cpu.concurrency[1].stages, {
    decodeMs: Number,
    queueMs: Number,
    preprocessMs: Number,
    inferenceMs: Number,
    postprocessMs: Number,
    totalMs: Number,
  });
  t.match(cpu.accuracy, { vsCpuFp32: { matchedAtIou09: 1, meanIou: 1 }, widerAp: { images: 3, easy: Number } });
  for (const v of report.variants.filter((x: { present: boolean }) => !x.present)) {
    t.match(v, { absentReason: String }, `${v.id} listed as absent with a reason, never estimated`);
    t.notOk(v.batch, `${v.id} has no numbers`);
  }
  t.match(report.baselines, {
    rawSessionRun: { 1: throughput, 2: throughput },
    cpuOursOverRaw: { 1: spread, 2: spread },
    comparisonWindows: { 1: { seconds: Number, warmupSeconds: Number }, 2: { seconds: Number, warmupSeconds: Number } },
  });
  t.match(
    fs.readFileSync(path.join(out, json!.replace('.json', '.svg')), 'utf8'),
    /^<svg[\s\S]*polyline[\s\S]*<\/svg>$/,
  );
});
