// The model commands and the no-flags path (issue 8, acceptance 6): with the cache seeded by our converter (or
// RETINAFACE_MODEL set), `retinaface detect photo.jpg` needs no --model; `models`, `fetch`, `convert` do their jobs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import t from 'tap';
import { registerModelCommands } from '../lib/cli/models-command';
import { convertCheckpointFile } from '../lib/models/convert';
import { decodeModel } from '../lib/models/onnx/graph-builder';
import { legacyCheckpoint } from './helpers/pickle';
import { MODEL_DYNAMIC, PHOTOS, SHARED } from './helpers/shared';

const WEIGHTS = path.join(SHARED, 'models/retinaface-mnet025/mobilenet0.25_Final.pth');
const PHOTO = path.join(PHOTOS, 'fr_two_people.jpg');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-models-cli-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const seeded = path.join(tmp, 'seeded-home');
const seededOnnx = path.join(seeded, 'retinaface-mnet025', 'retinaface-mnet025.onnx');
const empty = path.join(tmp, 'empty-home');

/** The real CLI entry (TypeScript through tsx, so no build is needed), with a clean model environment. */
function cli(args: string[], env: NodeJS.ProcessEnv) {
  const base = { ...process.env };
  delete base.RETINAFACE_MODEL;
  delete base.RETINAFACE_HOME;
  return spawnSync(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../lib/cli/main.ts'), ...args], {
    encoding: 'utf8',
    env: { ...base, RETINAFACE_OFFLINE: '1', ...env },
  });
}

/** Runs the model commands in this process; returns what they printed. */
async function models(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ out: string; err: string; error?: unknown }> {
  const program = new Command('retinaface').exitOverride();
  registerModelCommands(program);
  const out: string[] = [];
  const err: string[] = [];
  const saved = { log: console.log, error: console.error, env: { ...process.env } };
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  Object.assign(process.env, env);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { out: out.join('\n'), err: err.join('\n') };
  } catch (error) {
    return { out: out.join('\n'), err: err.join('\n'), error };
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    for (const key of Object.keys(env)) {
      if (saved.env[key] === undefined) delete process.env[key];
      else process.env[key] = saved.env[key];
    }
  }
}

t.before(async () => {
  await convertCheckpointFile(WEIGHTS, seededOnnx);
});

t.test('detect needs no --model once the default model is cached, or with RETINAFACE_MODEL', async (t) => {
  const cached = cli(['detect', PHOTO], { RETINAFACE_HOME: seeded });
  t.equal(cached.status, 0, cached.stderr);
  t.match(cached.stdout, /fr_two_people\.jpg: 2 faces/);
  t.match(
    cached.stderr,
    new RegExp(`model: ${seededOnnx.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    'the cached registry model',
  );

  const fromEnv = cli(['detect', '--json', PHOTO], { RETINAFACE_HOME: empty, RETINAFACE_MODEL: MODEL_DYNAMIC });
  t.equal(fromEnv.status, 0, fromEnv.stderr);
  t.equal((JSON.parse(fromEnv.stdout) as { images: Record<string, unknown[]> }).images[PHOTO]!.length, 2);

  const none = cli(['detect', PHOTO], { RETINAFACE_HOME: empty });
  t.equal(none.status, 2);
  t.match(none.stderr, /MODEL_NOT_FOUND.*RETINAFACE_MODEL/, 'nothing cached, offline: a clear error');
});

t.test('models lists the registry and what is cached; fetch uses the cache', async (t) => {
  const list = await models(['models', '--json'], { RETINAFACE_HOME: seeded });
  const json = JSON.parse(list.out) as {
    cacheDir: string;
    models: { id: string; default: boolean; onnx: string | null; sha256: string }[];
  };
  t.equal(json.cacheDir, seeded);
  t.match(json.models[0], { id: 'retinaface-mnet025', default: true, onnx: seededOnnx, sha256: /^2979b33f/ });
  const text = await models(['models'], { RETINAFACE_HOME: empty });
  t.match(text.out, /\* retinaface-mnet025 {2}mobilenet0\.25 {2}1\.8 MB {2}not downloaded/);
  const fetched = await models(['fetch'], { RETINAFACE_HOME: seeded, RETINAFACE_OFFLINE: '1' });
  t.equal(fetched.out, seededOnnx, 'fetch prints the cached ONNX without downloading');
  const unknown = await models(['fetch', 'no-such-model'], { RETINAFACE_HOME: seeded });
  t.match(unknown.error, { code: 'INVALID_ARGUMENT', message: /known models: retinaface-mnet025/ });
});

t.test('convert: .pth to ONNX (auto or given --arch), --fp16, ONNX to FP16, typed errors', async (t) => {
  const out = path.join(tmp, 'out.onnx');
  const plain = await models(['convert', WEIGHTS, '-o', out]);
  t.equal(plain.error, undefined);
  t.equal(plain.out, out);
  t.match(plain.err, /RetinaFace mobilenet0\.25, fp32/);
  t.equal(decodeModel(fs.readFileSync(out)).graph!.node!.filter((n) => n.opType === 'Conv').length, 56);

  const half = path.join(tmp, 'half.onnx');
  await models(['convert', WEIGHTS, '--arch', 'mobilenet0.25', '--fp16', '-o', half]);
  t.equal(decodeModel(fs.readFileSync(half)).graph!.initializer![0]!.dataType, 10, '--fp16 stores half weights');
  const rewritten = path.join(tmp, 'rewritten.onnx');
  await models(['convert', MODEL_DYNAMIC, '--fp16', '-o', rewritten]);
  t.ok(
    decodeModel(fs.readFileSync(rewritten)).graph!.initializer!.some((i) => i.dataType === 10),
    'an ONNX rewritten to FP16',
  );

  t.match((await models(['convert', MODEL_DYNAMIC, '-o', path.join(tmp, 'x.onnx')])).error, {
    code: 'INVALID_ARGUMENT',
    message: /--fp16/,
  });
  const wrongArch = await models(['convert', WEIGHTS, '--arch', 'resnet50', '-o', path.join(tmp, 'x.onnx')]);
  t.match(wrongArch.error, { code: 'CHECKPOINT_INVALID' });
  const badChoice = await models(['convert', WEIGHTS, '--arch', 'vgg', '-o', path.join(tmp, 'x.onnx')]);
  t.match(badChoice.error, { code: 'commander.invalidArgument' });
  const evil = path.join(tmp, 'evil.pth');
  const payload = Buffer.concat([
    Buffer.from([0x80, 0x02]),
    Buffer.from('cposix\nsystem\n', 'latin1'),
    Buffer.from([0x29, 0x52, 0x2e]),
  ]);
  fs.writeFileSync(evil, legacyCheckpoint([], payload));
  t.match((await models(['convert', evil, '-o', path.join(tmp, 'x.onnx')])).error, { code: 'CHECKPOINT_UNSAFE' });
  t.notOk(fs.existsSync(path.join(tmp, 'x.onnx')), 'no output for failed conversions');
  t.match((await models(['convert', path.join(tmp, 'missing.pth'), '-o', path.join(tmp, 'x.onnx')])).error, {
    code: 'MODEL_NOT_FOUND',
  });
});
