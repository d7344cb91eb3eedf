/**
 * Writes pickles and PyTorch checkpoints byte by byte, the way torch.save lays them out, so tests can feed the
 * checkpoint reader well-formed files of either format, and hostile or broken ones, without Python.
 */
import yazl from 'yazl';

/** Protocol-2 pickle opcodes, by their name in Python's pickletools. */
export class PickleWriter {
  readonly bytes: number[] = [];

  private u32(n: number): this {
    this.bytes.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
    return this;
  }

  op(code: number): this {
    this.bytes.push(code);
    return this;
  }

  proto(version = 2): this {
    return this.op(0x80).op(version);
  }

  /** GLOBAL 'module name': the opcode a malicious pickle uses to reach os.system. */
  global(module: string, name: string): this {
    this.op(0x63);
    this.bytes.push(...Buffer.from(`${module}\n${name}\n`, 'latin1'));
    return this;
  }

  string(text: string): this {
    const utf8 = Buffer.from(text, 'utf8');
    this.op(0x58).u32(utf8.length);
    this.bytes.push(...utf8);
    return this;
  }

  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b).op(n); // BININT1
    if (n >= 0 && n < 65536)
      return this.op(0x4d)
        .op(n & 0xff)
        .op(n >>> 8); // BININT2
    return this.op(0x4a).u32(n); // BININT (fits int32 in these tests)
  }

  /** LONG1 of a non-negative bigint. */
  long(value: bigint): this {
    const out: number[] = [];
    while (value > 0n) {
      out.push(Number(value & 0xffn));
      value >>= 8n;
    }
    if (out.length === 0 || out[out.length - 1]! & 0x80) out.push(0);
    this.op(0x8a).op(out.length);
    this.bytes.push(...out);
    return this;
  }

  none(): this {
    return this.op(0x4e);
  }
  bool(value: boolean): this {
    return this.op(value ? 0x88 : 0x89);
  }
  mark(): this {
    return this.op(0x28);
  }
  tuple(): this {
    return this.op(0x74);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  emptyList(): this {
    return this.op(0x5d);
  }
  setItems(): this {
    return this.op(0x75);
  }
  appends(): this {
    return this.op(0x65);
  }
  reduce(): this {
    return this.op(0x52);
  }
  build(): this {
    return this.op(0x62);
  }
  persistentId(): this {
    return this.op(0x51);
  }
  stop(): this {
    return this.op(0x2e);
  }

  intTuple(values: readonly number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }

  /**
   * _rebuild_tensor_v2(persistent ('storage', torch.<storage>, key, 'cpu', numel[, None]), 0, shape, stride, False,
   * OrderedDict()): a tensor as torch.save writes it; `legacy` adds the None (view_metadata) of the legacy format.
   */
  rebuildTensor(tensor: {
    storage: string;
    key: string;
    numel: number;
    shape: readonly number[];
    stride: readonly number[];
    legacy?: boolean;
  }): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().string('storage').global('torch', tensor.storage).string(tensor.key).string('cpu').int(tensor.numel);
    if (tensor.legacy) this.none();
    this.tuple().persistentId();
    this.int(0).intTuple(tensor.shape).intTuple(tensor.stride).bool(false);
    return this.global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  }

  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/** A float32 parameter to write. */
export interface TensorSpec {
  name: string;
  shape: readonly number[];
  values: Float32Array;
}

function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    stride[axis] = s;
    s *= shape[axis]!;
  }
  return stride;
}

/**
 * The state_dict pickle torch.save writes: OrderedDict() + SETITEMS of name -> _rebuild_tensor_v2(persistent storage,
 * offset, size, stride, False, OrderedDict()). Storage keys are "0", "1", ...; the legacy format adds view_metadata.
 */
export function stateDictPickle(tensors: readonly TensorSpec[], format: 'legacy' | 'zip'): Buffer {
  const w = new PickleWriter().proto().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  tensors.forEach((tensor, key) => {
    w.string(tensor.name).rebuildTensor({
      storage: 'FloatStorage',
      key: String(key),
      numel: tensor.values.length,
      shape: tensor.shape,
      stride: contiguousStride(tensor.shape),
      legacy: format === 'legacy',
    });
  });
  return w.setItems().stop().toBuffer();
}

const MAGIC = 0x1950a86a20f9469cfc6cn;

/** The three header pickles of a legacy checkpoint: magic number, protocol version, sys_info. */
export function legacyHeader(): Buffer {
  const magic = new PickleWriter().proto().long(MAGIC).stop();
  const protocol = new PickleWriter().proto().int(1001).stop();
  const sysInfo = new PickleWriter()
    .proto()
    .emptyDict()
    .mark()
    .string('protocol_version')
    .int(1001)
    .string('little_endian')
    .bool(true)
    .string('type_sizes')
    .emptyDict()
    .mark()
    .string('short')
    .int(2)
    .string('int')
    .int(4)
    .string('long')
    .int(4)
    .setItems()
    .setItems()
    .stop();
  return Buffer.concat([magic.toBuffer(), protocol.toBuffer(), sysInfo.toBuffer()]);
}

/** A legacy (non-zip) checkpoint: header, state_dict pickle (or `pickle`), key list, raw storages. */
export function legacyCheckpoint(tensors: readonly TensorSpec[], pickle = stateDictPickle(tensors, 'legacy')): Buffer {
  const keys = new PickleWriter().proto().emptyList().mark();
  tensors.forEach((_, i) => keys.string(String(i)));
  keys.appends().stop();
  const storages = tensors.map((t) => {
    const count = Buffer.alloc(8);
    count.writeBigInt64LE(BigInt(t.values.length));
    return Buffer.concat([count, Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength)]);
  });
  return Buffer.concat([legacyHeader(), pickle, keys.toBuffer(), ...storages]);
}

/** A zip checkpoint (PyTorch >= 1.6 layout) with entries `archive/...`; `entries` replaces or adds raw entries. */
export function zipCheckpoint(
  tensors: readonly TensorSpec[],
  entries: Record<string, Buffer | null> = {},
  archive = 'archive',
): Promise<Buffer> {
  const files: Record<string, Buffer | null> = {
    [`${archive}/data.pkl`]: stateDictPickle(tensors, 'zip'),
    [`${archive}/byteorder`]: Buffer.from('little'),
    [`${archive}/version`]: Buffer.from('3\n'),
  };
  tensors.forEach((t, i) => {
    files[`${archive}/data/${i}`] = Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength);
  });
  Object.assign(files, entries);
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(files)) if (data) zip.addBuffer(data, name, { compress: false });
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => resolve(Buffer.concat(chunks)))
      .on('error', reject);
  });
}
