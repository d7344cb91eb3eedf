// The PyTorch checkpoint reader (issue 8, acceptance 4): both torch.save formats read back the same tensors, and
// hostile or broken files get typed errors (CHECKPOINT_UNSAFE / CHECKPOINT_INVALID) without anything running.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { RetinaFaceError } from '../lib/errors';
import { parseCheckpoint, readCheckpoint } from '../lib/models/checkpoint/read-checkpoint';
import {
  legacyCheckpoint,
  legacyHeader,
  PickleWriter,
  stateDictPickle,
  type TensorSpec,
  zipCheckpoint,
} from './helpers/pickle';
import { MODEL_DYNAMIC, PHOTOS, SHARED } from './helpers/shared';
import { stored, zip, zipBombCheckpoint } from './helpers/zip-bomb';

const WEIGHTS = path.join(SHARED, 'models/retinaface-mnet025/mobilenet0.25_Final.pth');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-ckpt-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const small: TensorSpec[] = [
  { name: 'a.weight', shape: [2, 3], values: Float32Array.of(1, 2, 3, 4, 5, 6) },
  { name: 'a.bias', shape: [2], values: Float32Array.of(-1.5, 0.25) },
  { name: 'scalar', shape: [], values: Float32Array.of(42) },
];

async function codeOf(bytes: Uint8Array, what: string): Promise<string | undefined> {
  const error = await parseCheckpoint(bytes, what).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RetinaFaceError)) return `not a RetinaFaceError: ${String(error)}`;
  return error.code;
}

t.test('the official weights: 300 tensors, names and values as PyTorch saved them', async (t) => {
  const dict = await readCheckpoint(WEIGHTS);
  t.equal(dict.size, 300);
  const first = dict.get('body.stage1.0.0.weight')!;
  t.same(first.shape, [8, 3, 3, 3]);
  t.equal(first.dtype, 'float32');
  t.ok(Math.abs(first.toFloat32()[0]! - 0.10497289) < 1e-7, 'first weight value');
  t.equal(dict.get('body.stage1.0.1.num_batches_tracked')!.dtype, 'int64');
  t.same(dict.get('LandmarkHead.2.conv1x1.weight')!.shape, [20, 64, 1, 1]);
  t.same([...dict.keys()].slice(-1), ['LandmarkHead.2.conv1x1.bias'], 'file order kept');
});

t.test('legacy and zip checkpoints written here read back identically, any archive folder name', async (t) => {
  for (const [what, bytes] of [
    ['legacy', legacyCheckpoint(small)],
    ['zip', await zipCheckpoint(small)],
    ['zip, other archive folder', await zipCheckpoint(small, {}, 'my_weights')],
  ] as const) {
    const dict = await parseCheckpoint(bytes, what);
    t.same(
      [...dict.keys()],
      small.map((s) => s.name),
      `${what}: names`,
    );
    for (const spec of small) {
      t.same([...dict.get(spec.name)!.toFloat32()], [...spec.values], `${what}: ${spec.name}`);
      t.same(dict.get(spec.name)!.shape, spec.shape);
    }
  }
});

t.test('strided views and other storage types are read through their strides', async (t) => {
  // A transposed view [3, 2] of the 2x3 storage (stride [1, 3]) and a half-precision storage.
  const w = new PickleWriter().proto().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  w.string('t').rebuildTensor({ storage: 'FloatStorage', key: '0', numel: 6, shape: [3, 2], stride: [1, 3] });
  w.string('h').rebuildTensor({ storage: 'HalfStorage', key: '1', numel: 2, shape: [2], stride: [1] });
  w.setItems().stop();
  const half = Buffer.from(Uint16Array.of(0x3c00, 0xc000).buffer); // 1.0, -2.0
  const bytes = await zipCheckpoint([], {
    'archive/data.pkl': w.toBuffer(),
    'archive/data/0': Buffer.from(Float32Array.of(1, 2, 3, 4, 5, 6).buffer),
    'archive/data/1': half,
  });
  const dict = await parseCheckpoint(bytes, 'views');
  t.same([...dict.get('t')!.toFloat32()], [1, 4, 2, 5, 3, 6]);
  t.same([...dict.get('h')!.toFloat32()], [1, -2]);
});

t.test('malicious pickles are refused with CHECKPOINT_UNSAFE and nothing runs', async (t) => {
  const marker = path.join(tmp, 'pwned');
  // The classic payload, byte for byte: os.system("touch <marker>") via GLOBAL + REDUCE.
  const osSystem = Buffer.concat([
    Buffer.from([0x80, 0x02]),
    Buffer.from('cos\nsystem\n', 'latin1'),
    new PickleWriter().string(`touch ${marker}`).toBuffer(),
    Buffer.from([0x85, 0x52, 0x2e]), // TUPLE1 REDUCE STOP
  ]);
  const stackGlobal = new PickleWriter()
    .proto(4)
    .string('builtins')
    .string('eval')
    .op(0x93) // STACK_GLOBAL
    .string('__import__("os").system("true")')
    .op(0x85)
    .reduce()
    .stop()
    .toBuffer();
  const inst = Buffer.concat([
    Buffer.from([0x80, 0x02, 0x28]),
    Buffer.from('ios\nsystem\n', 'latin1'),
    Buffer.from([0x2e]),
  ]);
  const newobj = new PickleWriter()
    .proto()
    .global('collections', 'OrderedDict')
    .emptyTuple()
    .op(0x81)
    .stop()
    .toBuffer();
  // Allowed names used the wrong way: calling a storage class, BUILD on a tensor, a global in the header.
  const callStorage = new PickleWriter()
    .proto()
    .global('torch', 'FloatStorage')
    .emptyTuple()
    .reduce()
    .stop()
    .toBuffer();
  const buildTensor = new PickleWriter()
    .proto()
    .global('torch._utils', '_rebuild_tensor_v2')
    .emptyDict()
    .build()
    .stop()
    .toBuffer();
  const headerGlobal = new PickleWriter().proto().global('os', 'getcwd').emptyTuple().reduce().stop().toBuffer();
  const cases: [string, Uint8Array][] = [
    ['os.system in a legacy state_dict pickle', legacyCheckpoint(small, osSystem)],
    ['os.system as zip data.pkl', await zipCheckpoint(small, { 'archive/data.pkl': osSystem })],
    ['STACK_GLOBAL builtins.eval', await zipCheckpoint(small, { 'archive/data.pkl': stackGlobal })],
    ['INST opcode', legacyCheckpoint(small, inst)],
    ['NEWOBJ opcode', legacyCheckpoint(small, newobj)],
    ['REDUCE on a storage class', legacyCheckpoint(small, callStorage)],
    ['BUILD on a function', legacyCheckpoint(small, buildTensor)],
    [
      'a global in the magic-number pickle',
      Buffer.concat([Buffer.from([0x80, 0x02, 0x8a, 0x0a]), Buffer.alloc(10), headerGlobal]),
    ],
    ['a global in the sys_info pickle', Buffer.concat([legacyHeader().subarray(0, 21), headerGlobal])],
  ];
  for (const [what, bytes] of cases) t.equal(await codeOf(bytes, what), 'CHECKPOINT_UNSAFE', what);
  const error = await parseCheckpoint(legacyCheckpoint(small, osSystem), 'evil.pth').catch((e: Error) => e);
  t.match((error as Error).message, /os\.system/, 'the message names what was asked for');
  t.notOk(fs.existsSync(marker), 'the payload did not run');
});

t.test('broken and foreign files are CHECKPOINT_INVALID', async (t) => {
  const official = fs.readFileSync(WEIGHTS);
  const good = await zipCheckpoint(small);
  const cases: [string, Uint8Array][] = [
    ['empty file', Buffer.alloc(0)],
    ['a JPEG', fs.readFileSync(path.join(PHOTOS, 'fr_two_people.jpg'))],
    ['an ONNX model', fs.readFileSync(MODEL_DYNAMIC)],
    ['text', Buffer.from('state_dict = {}\n')],
    ['magic number only', official.subarray(0, 15)],
    ['truncated inside the state_dict pickle', official.subarray(0, 20_000)],
    ['truncated before the storages', official.subarray(0, 53_780)],
    ['truncated inside the last storage', official.subarray(0, official.length - 1)],
    ['wrong magic number', Buffer.concat([Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6b]), official.subarray(5)])],
    [
      'legacy storage of the wrong size',
      legacyCheckpoint(
        [{ ...small[0]!, values: new Float32Array(6) }],
        stateDictPickle([{ ...small[0]!, values: new Float32Array(5) }], 'legacy'),
      ),
    ],
    ['zip without data.pkl', await zipCheckpoint(small, { 'archive/data.pkl': null })],
    ['zip missing a storage entry', await zipCheckpoint(small, { 'archive/data/1': null })],
    ['zip storage entry of the wrong size', await zipCheckpoint(small, { 'archive/data/0': Buffer.alloc(7) })],
    ['zip with a garbage data.pkl', await zipCheckpoint(small, { 'archive/data.pkl': Buffer.from('not a pickle') })],
    ['zip truncated', good.subarray(0, good.length - 30)],
    ['big-endian zip', await zipCheckpoint(small, { 'archive/byteorder': Buffer.from('big') })],
    [
      'a pickle of a list, not a state_dict',
      await zipCheckpoint([], { 'archive/data.pkl': new PickleWriter().proto().emptyList().stop().toBuffer() }),
    ],
    [
      'a tensor reaching past its storage',
      await zipCheckpoint([{ name: 'x', shape: [4], values: new Float32Array(4) }], {
        'archive/data.pkl': stateDictPickle([{ name: 'x', shape: [5], values: new Float32Array(4) }], 'zip'),
      }),
    ],
  ];
  for (const [what, bytes] of cases) t.equal(await codeOf(bytes, what), 'CHECKPOINT_INVALID', what);
  await t.rejects(readCheckpoint(path.join(tmp, 'missing.pth')), { code: 'MODEL_NOT_FOUND' }, 'missing file');
});

/** `count` copies of one opcode. */
const repeat = (op: number, count: number) => Buffer.alloc(count, op);

t.test(
  'hostile pickles (huge APPENDS or integers, deep nesting, huge stack or memo) are CHECKPOINT_INVALID, never RangeError',
  async (t) => {
    const appends = Buffer.concat([
      new PickleWriter().proto().emptyList().mark().toBuffer(),
      repeat(0x4e, 300_000),
      Buffer.from([0x65, 0x2e]), // NONE x 300k, APPENDS
    ]);
    // 200k lists each appended to the one below: [[[[...]]]].
    const deep = Buffer.concat([
      Buffer.from([0x80, 0x02]),
      repeat(0x5d, 200_000),
      repeat(0x61, 199_999),
      Buffer.from([0x2e]),
    ]);
    // The same nesting where an error message would print it: as the legacy protocol version and as a persistent id.
    const deepPid = Buffer.concat([
      Buffer.from([0x80, 0x02]),
      repeat(0x5d, 200_000),
      repeat(0x61, 199_999),
      Buffer.from([0x85, 0x51, 0x2e]),
    ]);
    const header = legacyHeader();
    const legacyDeepProtocol = Buffer.concat([header.subarray(0, header.indexOf(0x2e) + 1), deep]);
    const manyNones = Buffer.concat([Buffer.from([0x80, 0x02]), repeat(0x4e, 3_000_000), Buffer.from([0x2e])]);
    const memo = new PickleWriter().proto().none();
    for (let i = 0; i < 1_200_000; i++)
      memo
        .op(0x72)
        .op(i & 0xff)
        .op((i >>> 8) & 0xff)
        .op(i >>> 16)
        .op(0); // LONG_BINPUT i
    const hugeMemo = Buffer.concat([memo.toBuffer(), Buffer.from([0x2e])]);
    // LONG4 of 1 MiB: decoded byte by byte into a bigint, it took minutes of CPU.
    const hugeLong = Buffer.concat([
      Buffer.from([0x80, 0x02, 0x8b, 0x00, 0x00, 0x10, 0x00]),
      Buffer.alloc(1 << 20, 0x11),
      Buffer.from([0x2e]),
    ]);
    const cases: [string, Uint8Array][] = [
      ['a 1 MiB integer (LONG4) in data.pkl', await zipCheckpoint(small, { 'archive/data.pkl': hugeLong })],
      ['300k APPENDS in data.pkl', await zipCheckpoint(small, { 'archive/data.pkl': appends })],
      ['300k APPENDS in a legacy state_dict pickle', legacyCheckpoint(small, appends)],
      ['200k nested lists in data.pkl', await zipCheckpoint(small, { 'archive/data.pkl': deep })],
      ['200k nested lists as the legacy protocol version', legacyDeepProtocol],
      ['200k nested lists as a persistent id', await zipCheckpoint(small, { 'archive/data.pkl': deepPid })],
      ['3M items on the stack', await zipCheckpoint(small, { 'archive/data.pkl': manyNones })],
      ['1.2M memo entries', await zipCheckpoint(small, { 'archive/data.pkl': hugeMemo })],
    ];
    for (const [what, bytes] of cases) t.equal(await codeOf(bytes, what), 'CHECKPOINT_INVALID', what);
  },
);

t.test('a zip-bomb .pth (1 MB inflating to 1 GiB) is refused before inflating, in bounded memory', async (t) => {
  const bomb = path.join(tmp, 'bomb.pth');
  fs.writeFileSync(bomb, zipBombCheckpoint(1024));
  t.ok(fs.statSync(bomb).size < 2 << 20, 'the file is small');
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'helpers/parse-checkpoint-child.ts'), bomb],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  t.equal(child.status, 0, child.stderr);
  const { code, maxRssMiB } = JSON.parse(child.stdout) as { code: string; maxRssMiB: number };
  t.equal(code, 'CHECKPOINT_INVALID');
  t.ok(maxRssMiB < 400, `peak RSS ${maxRssMiB.toFixed(0)} MiB stays far below the 1 GiB the entry declares`);

  // Smaller bombs: under the size caps but over the compression-ratio bound; and a stream longer than it declares.
  const ratio = await parseCheckpoint(zipBombCheckpoint(256), 'ratio').catch((e: RetinaFaceError) => e);
  t.match(ratio, { code: 'CHECKPOINT_INVALID', message: /inflates \d+ bytes to 268435456 \(a zip bomb\?\)/ });
  const liar = await parseCheckpoint(zipBombCheckpoint(64, 1), 'liar').catch((e: RetinaFaceError) => e);
  t.match(liar, { code: 'CHECKPOINT_INVALID' }, 'an entry that inflates past its declared size');
  // The same layout at a plausible size still reads.
  const dict = await parseCheckpoint(zipBombCheckpoint(1), 'small zeros');
  t.equal(dict.get('w')!.numel, 1 << 18);
});

t.test('weights files: over 1 GiB, or not a regular file, are refused before reading', async (t) => {
  const huge = path.join(tmp, 'huge.pth');
  fs.closeSync(fs.openSync(huge, 'w'));
  fs.truncateSync(huge, (1 << 30) + 1); // sparse: no disk, but reading it would take 1 GiB of memory
  await t.rejects(readCheckpoint(huge), { code: 'CHECKPOINT_INVALID', message: /1073741825 bytes.*more than/ });
  await t.rejects(readCheckpoint(tmp), { code: 'INVALID_ARGUMENT', message: /is a directory/ });
});

t.test('a zip of 20k+ entries is refused from its directory count, before reading the entries', async (t) => {
  const empty = Buffer.alloc(0);
  const entries = Array.from({ length: 20_001 }, (_, i) => stored(`archive/data/${i}`, empty));
  const bytes = zip([stored('archive/data.pkl', new PickleWriter().proto().emptyDict().stop().toBuffer()), ...entries]);
  t.match(await parseCheckpoint(bytes, 'many').catch((e: unknown) => e), {
    code: 'CHECKPOINT_INVALID',
    message: /20002 entries/,
  });
});
