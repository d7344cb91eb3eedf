/**
 * The TypeScript readers under fuzz, each with its seeds and the only outcomes it may have: a result, or a
 * RetinaFaceError with one of `expected` codes (parseMat: a MatFileError). Anything else the run function lets
 * escape is a finding. Seeds come from ../shared (copied or cut at run time, never committed) and from tiny files
 * generated here.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ErrorCode } from '../../lib/errors';
import { loadGroundTruth } from '../../lib/eval/ground-truth';
import { MatFileError, parseMat } from '../../lib/eval/matfile';
import { parseCheckpoint } from '../../lib/models/checkpoint/read-checkpoint';
import { unpickle } from '../../lib/models/checkpoint/pickle';
import { stateDictPickleOptions } from '../../lib/models/checkpoint/torch-globals';
import type { Storage } from '../../lib/models/checkpoint/tensor';
import { convertCheckpointBytes, rewriteOnnxFileToFp16 } from '../../lib/models/convert';
import { decodeModel, encodeModel } from '../../lib/models/onnx/graph-builder';
import { legacyCheckpoint, stateDictPickle, type TensorSpec, zipCheckpoint } from '../../test/helpers/pickle';
import { identityModel, lookalikeModel } from '../../test/helpers/tiny-onnx';
import { inflateMat, tinyWiderGroundTruth } from './mat-writer';
import { mutateOnnx } from './onnx-mutator';

export const SHARED = path.resolve(__dirname, '../../../shared');
const MODELS = path.join(SHARED, 'models/retinaface-mnet025');
const PTH = path.join(MODELS, 'mobilenet0.25_Final.pth');
const WIDER = path.join(SHARED, 'data/widerface-val');

export interface Seeds {
  seeds: Uint8Array[];
  /** Dictionary tokens the mutator inserts (opcodes, signatures, keywords). */
  tokens: Uint8Array[];
}

export interface FuzzTarget {
  name: string;
  /** Source files (path fragments) whose block coverage is reported. */
  covers: string[];
  /** Error codes that are a clean rejection of a bad input. */
  expected: ErrorCode[];
  /** Up to this many mutations per input. */
  maxMutations: number;
  /** Builds the seeds; `work` is a private scratch folder. */
  prepare(work: string): Promise<Seeds>;
  /** Runs one input; returns a label of what happened ('ok', or the rejection's code). */
  run(input: Uint8Array, work: string): Promise<string>;
}

const bytes = (s: string) => Buffer.from(s, 'latin1');

/** Opcodes and short sequences of protocol-2 pickles, including the ones a hostile file would use. */
const PICKLE_TOKENS = [
  '(',
  '.',
  ')',
  ']',
  '}',
  'N',
  '\x88',
  '\x89',
  'e',
  'u',
  't',
  'R',
  'Q',
  'b',
  '2',
  '0',
  '1',
  'a',
  's',
  'd',
  'l',
  '\x85',
  '\x86',
  '\x87',
  '\x81',
  '\x93',
  '\x94',
  'i',
  'o',
  '\x82',
  'h\x00',
  'q\x00',
  'j\xff\xff\xff\x7f',
  'K\xff',
  'M\xff\xff',
  'J\xff\xff\xff\xff',
  'J\x00\x00\x00\x80',
  '\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f',
  '\x8b\xff\xff\xff\x7f',
  'X\xff\xff\xff\x7f',
  'X\x05\x00\x00\x00torch',
  'U\x07storage',
  'B\x00\x00\x00\x10',
  'G\x7f\xf0\x00\x00\x00\x00\x00\x00',
  '\x95\xff\xff\xff\xff\xff\xff\xff\x7f',
  '\x8c\x08builtins\x8c\x04eval\x93',
  'ctorch\nFloatStorage\n',
  'ctorch\nLongStorage\n',
  'ctorch._utils\n_rebuild_tensor_v2\n',
  'ccollections\nOrderedDict\n',
  'cos\nsystem\n',
  'c__builtin__\ngetattr\n',
  '((((((((((((((((',
  ']]]]]]]]]]]]]]]]',
  '}}}}}}}}',
].map(bytes);

const ZIP_TOKENS = [
  'PK\x03\x04',
  'PK\x01\x02',
  'PK\x05\x06',
  'PK\x06\x06',
  'PK\x06\x07',
  'archive/data.pkl',
  'archive/data/0',
  'archive/byteorder',
  'big',
  'little',
  '\xff\xff\xff\xff',
  '\x08\x00',
  '\x00\x00',
].map(bytes);

function tinyTensors(): TensorSpec[] {
  return [
    { name: 'body.conv1.weight', shape: [2, 1, 1, 1], values: Float32Array.of(1, -2) },
    { name: 'body.bn.running_var', shape: [2], values: Float32Array.of(0.5, Number.NaN) },
  ];
}

/** The real checkpoint's parameters as float32 tensor specs, to rewrite it in the zip layout. */
async function realTensors(): Promise<TensorSpec[]> {
  const dict = await parseCheckpoint(fs.readFileSync(PTH), PTH);
  return [...dict].map(([name, tensor]) => {
    const values = Float32Array.from(tensor.toFloat32(), (v) => v);
    return { name, shape: tensor.shape, values };
  });
}

/** The state_dict pickle inside a legacy checkpoint: the fourth of its back-to-back pickles. */
function legacyStateDictPickle(data: Uint8Array): Uint8Array {
  let offset = 0;
  const plain = { source: 'seed', resolveGlobal: () => ({ qualifiedName: 'seed' }) };
  for (let i = 0; i < 3; i++) offset = unpickle(data, offset, plain).end;
  const start = offset;
  const end = unpickle(data, offset, stateDictPickleOptions('seed', new Map())).end;
  return data.subarray(start, end);
}

const checkpointCodes: ErrorCode[] = ['CHECKPOINT_INVALID', 'CHECKPOINT_UNSAFE'];

/** The models onnx-graph mutates (filled by its prepare). */
const onnxBases: Uint8Array[] = [];

/** What both ONNX targets (mutated bytes, mutated graphs) reach, and their one clean rejection. */
const ONNX_READERS: Pick<FuzzTarget, 'covers' | 'expected' | 'maxMutations'> = {
  covers: ['lib/models/onnx/', 'lib/models/convert'],
  expected: ['MODEL_INVALID'],
  maxMutations: 6,
};

export const TARGETS: FuzzTarget[] = [
  {
    name: 'checkpoint',
    covers: ['lib/models/checkpoint/', 'lib/models/retinaface/', 'lib/models/convert'],
    expected: checkpointCodes,
    maxMutations: 6,
    async prepare() {
      const real = fs.readFileSync(PTH);
      const tensors = await realTensors();
      return {
        seeds: [
          real,
          await zipCheckpoint(tensors),
          legacyCheckpoint(tinyTensors()),
          await zipCheckpoint(tinyTensors()),
          await zipCheckpoint(tinyTensors(), {}, 'mobilenet0.25_Final'),
          real.subarray(0, 1 << 16),
        ],
        tokens: [...PICKLE_TOKENS, ...ZIP_TOKENS],
      };
    },
    async run(input) {
      const dict = await parseCheckpoint(input, 'fuzz.pth');
      // What `retinaface convert` does next with a readable state_dict: the graph builder reads every tensor.
      const converted = await convertCheckpointBytes(input, 'fuzz.pth');
      return `ok (${dict.size} tensors, ${converted.architecture})`;
    },
  },
  {
    name: 'pickle',
    covers: ['lib/models/checkpoint/pickle', 'lib/models/checkpoint/torch-globals', 'lib/models/checkpoint/tensor'],
    expected: checkpointCodes,
    maxMutations: 8,
    async prepare() {
      return {
        seeds: [
          legacyStateDictPickle(fs.readFileSync(PTH)),
          stateDictPickle(tinyTensors(), 'zip'),
          stateDictPickle(tinyTensors(), 'legacy'),
          bytes('\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01K\x01u.'),
        ],
        tokens: PICKLE_TOKENS,
      };
    },
    async run(input) {
      const storages = new Map<string, Storage>();
      unpickle(input, 0, stateDictPickleOptions('fuzz.pkl', storages));
      return 'ok';
    },
  },
  {
    name: 'onnx',
    ...ONNX_READERS,
    async prepare() {
      return {
        seeds: [
          fs.readFileSync(path.join(MODELS, 'retinaface_mnet025_640_op11.onnx')),
          identityModel([1, 3, 'h', 'w'], 3),
          lookalikeModel([1, 3, 32, 32], [8, 8, 8]),
        ],
        tokens: [
          'Resize',
          'Upsample',
          'Constant',
          'Cast',
          'If',
          'Loop',
          'TopK',
          'Shape',
          'value',
          'to',
          'scales',
          'roi',
          '\x08\x0a',
          '\x08\x01',
          '\x10\x01',
          '\x3a\x00',
          '\x42\x00',
          '\x4a\x00',
        ].map(bytes),
      };
    },
    async run(input, work) {
      const source = path.join(work, 'in.onnx');
      fs.writeFileSync(source, input);
      await rewriteOnnxFileToFp16(source, path.join(work, 'out.onnx'));
      return 'ok';
    },
  },
  {
    name: 'onnx-graph',
    ...ONNX_READERS,
    async prepare() {
      // The real graphs with their weights cut to 4 values each: the same structure, decoded 100x faster.
      const slim = (file: string) => {
        const model = decodeModel(fs.readFileSync(path.join(MODELS, file)));
        for (const init of model.graph?.initializer ?? [])
          if (init.rawData?.length) init.rawData = init.rawData.subarray(0, 16);
        return encodeModel(model);
      };
      onnxBases.push(
        slim('retinaface_mnet025_640_op11.onnx'),
        slim('retinaface_mnet025_dynamic_op13.onnx'),
        lookalikeModel([1, 3, 32, 32], [8, 8, 8]),
      );
      // The inputs are scripts of choices (onnx-mutator.ts): the first byte picks the model.
      let state = 7;
      const script = (n: number) =>
        Uint8Array.from({ length: n }, () => (state = (state * 1103515245 + 12345) >>> 0) >>> 24);
      return { seeds: [script(16), script(48), script(96), Uint8Array.of(0), Uint8Array.of(1)], tokens: [] };
    },
    async run(input, work) {
      const model = mutateOnnx(onnxBases[(input[0] ?? 0) % onnxBases.length]!, input.subarray(1));
      if (!model) return 'unencodable';
      const source = path.join(work, 'in.onnx');
      fs.writeFileSync(source, model);
      await rewriteOnnxFileToFp16(source, path.join(work, 'out.onnx'));
      return 'ok';
    },
  },
  {
    name: 'matfile',
    covers: ['lib/eval/matfile'],
    expected: [],
    maxMutations: 6,
    async prepare() {
      const real = fs.readFileSync(path.join(WIDER, 'ground_truth/wider_easy_val.mat'));
      const tiny = tinyWiderGroundTruth();
      return {
        seeds: [
          real,
          inflateMat(real).subarray(0, 1 << 18),
          tiny['wider_face_val.mat']!,
          tiny['wider_easy_val.mat']!,
          tinyWiderGroundTruth(true)['wider_face_val.mat']!,
        ],
        tokens: [
          'MATLAB 7.3',
          'MATLAB 5.0',
          'IM',
          'MI',
          '\x0e\x00\x00\x00',
          '\x0f\x00\x00\x00',
          '\x05\x00\x00\x00',
          '\x06\x00\x00\x00\x08\x00\x00\x00',
          '\x01\x00\x00\x00',
          '\x02\x00\x00\x00',
          '\x04\x00\x00\x00',
          '\x05\x00\x00\x00',
          '\xff\xff\xff\x7f',
          '\x00\x00\x01\x00',
        ].map(bytes),
      };
    },
    async run(input) {
      try {
        return `ok (${parseMat(Buffer.from(input.buffer, input.byteOffset, input.byteLength)).size} variables)`;
      } catch (error) {
        if (error instanceof MatFileError) return 'MatFileError';
        throw error;
      }
    },
  },
  {
    name: 'ground-truth-mat',
    covers: ['lib/eval/ground-truth', 'lib/eval/matfile'],
    expected: ['GROUND_TRUTH_INVALID'],
    maxMutations: 4,
    async prepare(work) {
      const plain = tinyWiderGroundTruth();
      for (const [name, data] of Object.entries(plain)) fs.writeFileSync(path.join(work, name), data);
      return { seeds: [plain['wider_face_val.mat']!, tinyWiderGroundTruth(true)['wider_face_val.mat']!], tokens: [] };
    },
    async run(input, work) {
      fs.writeFileSync(path.join(work, 'wider_face_val.mat'), input);
      return `ok (${loadGroundTruth(work).images.length} images)`;
    },
  },
  {
    name: 'ground-truth-json',
    covers: ['lib/eval/ground-truth'],
    expected: ['GROUND_TRUTH_INVALID'],
    maxMutations: 6,
    async prepare() {
      const real = JSON.parse(fs.readFileSync(path.join(WIDER, 'gt.json'), 'utf8')) as { images: unknown[] };
      const tiny = {
        images: [{ file: '0--Parade/a.jpg', boxes: [[1, 2, 3, 4]], easy: [0], medium: [0], hard: [], blur: [2] }],
      };
      return {
        seeds: [bytes(JSON.stringify({ images: real.images.slice(0, 20) })), bytes(JSON.stringify(tiny))],
        tokens: [
          '[',
          ']',
          '{',
          '}',
          ',',
          ':',
          'null',
          'true',
          '-1',
          '1e999',
          '0.5',
          '9007199254740993',
          '""',
          '"images"',
          '"boxes"',
          '"file"',
          '"easy"',
          '"hard"',
          '"event"',
          '"blur"',
          '"__proto__"',
          '"a/b"',
          '[[[[[[[[[[',
        ].map(bytes),
      };
    },
    async run(input, work) {
      const file = path.join(work, 'gt.json');
      fs.writeFileSync(file, input);
      return `ok (${loadGroundTruth(file).images.length} images)`;
    },
  },
];
