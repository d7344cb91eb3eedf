/** `retinaface models`, `retinaface fetch [id]`, `retinaface convert <weights> -o model.onnx`: the model registry. */
import fs from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { RetinaFaceError } from '../errors';
import { modelCacheDir } from '../models/cache-dir';
import { looksLegacy } from '../models/checkpoint/legacy-format';
import { looksZip } from '../models/checkpoint/zip-format';
import { convertCheckpointFile, rewriteOnnxFileToFp16 } from '../models/convert';
import { findEmbeddedModel } from '../models/embedded';
import { checkRegularFile } from '../models/input-file';
import { ensureModel, listModels } from '../models/registry';
import { ARCHITECTURES, type Architecture } from '../models/retinaface/build-graph';

interface FetchFlags {
  progress?: boolean;
  url?: string;
}

interface ConvertFlags {
  arch?: Architecture;
  fp16?: boolean;
  output: string;
}

function listCommand(flags: { json?: boolean }): void {
  const models = listModels();
  const embedded = (m: (typeof models)[number]) => (m.isDefault ? (findEmbeddedModel(m.model) ?? null) : null);
  if (flags.json) {
    console.log(
      JSON.stringify(
        {
          cacheDir: modelCacheDir(),
          models: models.map((m) => ({
            id: m.model.id,
            default: m.isDefault,
            architecture: m.model.architecture,
            description: m.model.description,
            embedded: embedded(m),
            url: m.model.weights.url,
            size: m.model.weights.size,
            sha256: m.model.weights.sha256,
            weights: m.weightsCached ? m.files.weights : null,
            onnx: m.onnxCached ? m.files.onnx : null,
          })),
        },
        null,
        2,
      ),
    );
    return;
  }
  console.log(`cache: ${modelCacheDir()}`);
  for (const m of models) {
    const shipped = embedded(m);
    const state = shipped
      ? `ready, shipped in the package: ${shipped}`
      : m.onnxCached
        ? `ready: ${m.files.onnx}`
        : m.weightsCached
          ? 'weights downloaded, not converted yet'
          : 'not downloaded';
    console.log(
      `${m.isDefault ? '*' : ' '} ${m.model.id}  ${m.model.architecture}  ${(m.model.weights.size / 1e6).toFixed(1)} MB  ${state}`,
    );
    console.log(`    ${m.model.description}`);
  }
}

async function fetchCommand(id: string | undefined, flags: FetchFlags): Promise<void> {
  const onnx = await ensureModel(id, {
    progress: flags.progress ?? 'auto',
    ...(flags.url ? { url: flags.url } : {}),
    log: (line) => console.error(line),
  });
  console.log(onnx);
}

/** A PyTorch checkpoint becomes a RetinaFace ONNX; an ONNX (with --fp16) becomes its FP16 twin. */
async function convertCommand(input: string, flags: ConvertFlags): Promise<void> {
  await checkRegularFile(input); // a FIFO would block the sniffing read below forever
  const head = Buffer.alloc(4);
  try {
    const file = await fs.open(input, 'r');
    await file.read(head, 0, 4, 0).finally(() => file.close());
  } catch {
    // convertCheckpointFile reports the unreadable file with its typed error
  }
  const checkpoint = looksZip(head) || looksLegacy(head);
  if (!checkpoint && input.toLowerCase().endsWith('.onnx')) {
    if (!flags.fp16) {
      throw new RetinaFaceError(
        'INVALID_ARGUMENT',
        `${input} is already an ONNX model; add --fp16 to rewrite it to FP16`,
      );
    }
    await rewriteOnnxFileToFp16(input, flags.output);
    console.error(`rewrote ${input} to FP16`);
  } else {
    const converted = await convertCheckpointFile(input, flags.output, {
      ...(flags.arch ? { architecture: flags.arch } : {}),
      precision: flags.fp16 ? 'fp16' : 'fp32',
    });
    console.error(`converted ${input} (RetinaFace ${converted.architecture}, ${converted.precision})`);
  }
  console.log(flags.output);
}

export function registerModelCommands(program: Command): void {
  program
    .command('models')
    .description('list the registry models and what of them is in the cache')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => listCommand(flags));
  program
    .command('fetch')
    .description(
      'download and convert a registry model into the cache (default: the default model); prints the ONNX path',
    )
    .argument('[id]', 'model id (see `retinaface models`)')
    .option('--progress', 'always show a progress bar (default: only on a terminal)')
    .option('--no-progress', 'never show a progress bar')
    .option('--url <url>', 'download the weights from this mirror instead (size and sha256 are still checked)')
    .action(async (id: string | undefined, flags: FetchFlags) => fetchCommand(id, flags));
  program
    .command('convert')
    .description(
      'convert PyTorch RetinaFace weights (.pth, biubug6 layout) to a dynamic-shape ONNX, or an ONNX to FP16',
    )
    .argument('<weights>', 'a .pth state_dict (legacy or zip torch.save), or an .onnx with --fp16')
    .addOption(
      new Option('--arch <name>', 'backbone (default: recognised from the weights)').choices([...ARCHITECTURES]),
    )
    .option('--fp16', 'half-precision weights and activations (float32 input and outputs)')
    .requiredOption('-o, --output <file>', 'where to write the ONNX')
    .action(async (input: string, flags: ConvertFlags) => convertCommand(input, flags));
}
