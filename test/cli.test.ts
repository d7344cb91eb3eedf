// The `retinaface` command as users run it (compiled: `npm run build` first; `npm test` does it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { reportFatalError } from '../lib/cli/main';
import { parseBytes, parseInputSize, parseInteger, parseNumber } from '../lib/cli/parse';
import { RetinaFaceError } from '../lib/errors';
import { MODEL_DYNAMIC, PHOTOS } from './helpers/shared';

const cli = path.resolve(__dirname, '../dist/lib/cli/main.js');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

t.test('detect --json prints faces per image', async (t) => {
  const result = run([
    'detect',
    '--json',
    '--model',
    MODEL_DYNAMIC,
    path.join(PHOTOS, 'fr_obama_and_biden.jpg'),
    path.join(PHOTOS, 'dlib_cars_noface.jpg'),
  ]);
  t.equal(result.status, 0, result.stderr);
  const out = JSON.parse(result.stdout) as { backend: { name: string }; images: Record<string, { score: number }[]> };
  t.equal(out.backend.name, 'cpu');
  t.equal(out.images[path.join(PHOTOS, 'fr_obama_and_biden.jpg')]!.length, 3);
  t.equal(out.images[path.join(PHOTOS, 'dlib_cars_noface.jpg')]!.length, 0);
});

t.test('text output, model from RETINAFACE_MODEL, score option', async (t) => {
  const result = run(['detect', '--score', '0.9', path.join(PHOTOS, 'fr_two_people.jpg')], {
    RETINAFACE_MODEL: MODEL_DYNAMIC,
  });
  t.equal(result.status, 0, result.stderr);
  t.match(result.stdout, /fr_two_people\.jpg: 2 faces/);
  t.match(result.stdout, /score 0\.9\d\d {2}box \[/);
  t.match(result.stderr, /backend: cpu/);
});

t.test('errors: bad image is reported with its code and a non-zero exit; no model is a clear message', async (t) => {
  const bad = run(['detect', '--model', MODEL_DYNAMIC, __filename]);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /IMAGE_DECODE_FAILED/);
  const emptyCache = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-cli-'));
  t.teardown(() => fs.rmSync(emptyCache, { recursive: true, force: true }));
  const noModel = run(['detect', path.join(PHOTOS, 'fr_two_people.jpg')], {
    RETINAFACE_MODEL: '',
    RETINAFACE_HOME: emptyCache,
    RETINAFACE_OFFLINE: '1',
  });
  t.equal(noModel.status, 2);
  t.match(noModel.stderr, /MODEL_NOT_FOUND.*RETINAFACE_MODEL/);
  const help = run(['--help']);
  t.equal(help.status, 0);
  t.match(help.stdout, /detect/);
});

t.test('numeric parsers reject empty, blank and non-decimal text instead of reading it as 0', async (t) => {
  for (const bad of ['', ' ', '\t', '0x10', '1e', 'abc', 'Infinity', 'NaN']) {
    t.throws(() => parseNumber(bad), { code: 'commander.invalidArgument' }, `parseNumber(${JSON.stringify(bad)})`);
  }
  for (const bad of ['', '  ', '1.5', '0x10', '1e3', '-']) {
    t.throws(() => parseInteger(bad), { code: 'commander.invalidArgument' }, `parseInteger(${JSON.stringify(bad)})`);
  }
  for (const bad of ['', ' ', 'x', '640x', 'x480', '640x480x3', '640.5', '-640']) {
    t.throws(
      () => parseInputSize(bad),
      { code: 'commander.invalidArgument' },
      `parseInputSize(${JSON.stringify(bad)})`,
    );
  }
  for (const bad of ['', ' ', 'MB']) {
    t.throws(() => parseBytes(bad), { code: 'commander.invalidArgument' }, `parseBytes(${JSON.stringify(bad)})`);
  }
  t.equal(parseNumber(' 0.25 '), 0.25);
  t.equal(parseNumber('-1'), -1);
  t.equal(parseNumber('1e-3'), 0.001);
  t.equal(parseNumber('.5'), 0.5);
  t.equal(parseInteger('8080'), 8080);
  t.equal(parseInteger('-3'), -3);
  t.equal(parseInputSize('640'), 640);
  t.same(parseInputSize('640x480'), [640, 480]);
  t.same(parseInputSize('640,480'), [640, 480]);
  t.equal(parseInputSize('original'), 'original');
  t.equal(parseBytes('20MB'), 20 * 1024 * 1024);
});

t.test("detect and eval refuse --score '' (it used to mean 0)", async (t) => {
  const image = path.join(PHOTOS, 'fr_two_people.jpg');
  for (const args of [
    ['detect', '--model', MODEL_DYNAMIC, '--score', '', image],
    ['detect', '--model', MODEL_DYNAMIC, '--nms', ' ', image],
    ['detect', '--model', MODEL_DYNAMIC, '--input-size', '', image],
    ['eval', '--images', PHOTOS, '--gt', PHOTOS, '--score', ''],
  ]) {
    const result = run(args);
    t.equal(result.status, 1, `${args.join(' ')}: exit 1`);
    t.match(result.stderr, /error: option .* argument '.*' is invalid/, `${args.join(' ')}: commander's message`);
    t.equal(result.stdout, '', 'no detections printed');
  }
});

t.test('errors that are not ours print one line, not a stack trace; RETINAFACE_DEBUG=1 adds the stack', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-cli-out-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const weights = path.join(path.dirname(MODEL_DYNAMIC), 'mobilenet0.25_Final.pth');
  // -o an existing directory: the write fails after the conversion.
  const intoDir = run(['convert', weights, '-o', dir]);
  t.equal(intoDir.status, 2);
  t.match(intoDir.stderr, /^retinaface: INVALID_ARGUMENT: .*is a directory/m);
  t.notMatch(intoDir.stderr, /\n\s+at /, 'no stack frames');
  t.equal(intoDir.stderr.trim().split('\n').length, 1, 'one line');
  t.same(fs.readdirSync(dir), [], 'nothing left in the directory');

  // An unexpected (non-RetinaFaceError) failure: an output below a regular file cannot be created.
  const file = path.join(dir, 'plain');
  fs.writeFileSync(file, 'x');
  const below = run(['convert', weights, '-o', path.join(file, 'model.onnx')]);
  t.equal(below.status, 2);
  t.match(below.stderr, /^retinaface: .*(ENOTDIR|EEXIST|not a directory|already exists)/m);
  t.notMatch(below.stderr, /\n\s+at /, 'no stack frames');
  t.equal(below.stderr.trim().split('\n').length, 1, 'one line');
  const debug = run(['convert', weights, '-o', path.join(file, 'model.onnx')], { RETINAFACE_DEBUG: '1' });
  t.equal(debug.status, 2);
  t.match(debug.stderr, /\n\s+at /, 'RETINAFACE_DEBUG=1 prints the stack');
});

t.test('convert refuses a FIFO or a directory as its input at once, instead of waiting on it forever', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-cli-fifo-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'weights.pth');
  spawnSync('mkfifo', [fifo]);
  t.ok(fs.statSync(fifo).isFIFO(), 'a FIFO');
  for (const input of [fifo, dir]) {
    const result = spawnSync(process.execPath, [cli, 'convert', input, '-o', path.join(dir, 'out.onnx')], {
      encoding: 'utf8',
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    t.equal(result.signal, null, `${input}: finished before the 30 s deadline`);
    t.equal(result.status, 2);
    t.match(result.stderr, /^retinaface: INVALID_ARGUMENT: .* is (a FIFO|a directory)/m);
  }
  t.notOk(fs.existsSync(path.join(dir, 'out.onnx')), 'no output');
});

t.test('reportFatalError: one line (code first for ours), the stack only under RETINAFACE_DEBUG', async (t) => {
  t.equal(
    reportFatalError(new Error('EISDIR: illegal operation\n  on a directory'), {}),
    'retinaface: EISDIR: illegal operation on a directory',
  );
  t.equal(
    reportFatalError(new RetinaFaceError('MODEL_NOT_FOUND', 'no model'), {}),
    'retinaface: MODEL_NOT_FOUND: no model',
  );
  t.equal(reportFatalError('a string', {}), 'retinaface: a string');
  t.equal(reportFatalError(new Error('x'), { RETINAFACE_DEBUG: '0' }), 'retinaface: x');
  const debug = reportFatalError(new Error('x'), { RETINAFACE_DEBUG: '1' });
  t.match(debug, /^retinaface: x\nError: x\n\s+at /);
  t.match(run(['--help']).stdout, /RETINAFACE_DEBUG=1/, 'the help names the variable');
});
