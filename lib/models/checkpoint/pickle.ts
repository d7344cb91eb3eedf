/**
 * A restricted pickle reader: the opcodes a PyTorch state_dict uses, nothing that can run code.
 *
 * Python's pickle is a small stack machine whose GLOBAL/REDUCE opcodes import and call arbitrary functions; that is
 * how a malicious .pth runs `os.system`. Here every global goes through `resolveGlobal`, which returns one of the
 * caller's own (JavaScript) stand-ins or throws CHECKPOINT_UNSAFE, and REDUCE/BUILD only ever call those stand-ins.
 * Opcodes that instantiate classes by name (INST, OBJ, NEWOBJ, EXT*) are refused outright.
 */
import { RetinaFaceError } from '../../errors';

/** A dictionary key as pickled by a state_dict (strings in practice). */
export type PickleKey = string | number | bigint | boolean | null;

/** dict / OrderedDict; `state` holds what BUILD set (an OrderedDict's `_metadata`). */
export class PickleDict extends Map<PickleKey, unknown> {
  state: unknown = undefined;
}

/** A tuple; kept apart from lists only for readable error messages. */
export class PickleTuple extends Array<unknown> {}

/** What a GLOBAL resolves to: a stand-in that REDUCE may call with the pickled arguments. */
export interface PickleGlobal {
  readonly qualifiedName: string;
  call?(args: readonly unknown[]): unknown;
}

export interface UnpickleOptions {
  /** Maps `module`, `name` to a stand-in; must throw CHECKPOINT_UNSAFE for anything it does not know. */
  resolveGlobal(module: string, name: string): PickleGlobal;
  /** BINPERSID: PyTorch refers to tensor storages by persistent id. Absent = persistent ids are invalid. */
  persistentLoad?(pid: unknown): unknown;
  /** Where the data comes from, for error messages. */
  source: string;
}

export interface UnpickleResult {
  value: unknown;
  /** Offset just past the STOP opcode (legacy checkpoints are several pickles back to back). */
  end: number;
}

const MARK = Symbol('mark');

/**
 * Bounds on what one pickle may make us hold. A state_dict pickle of the largest RetinaFace (ResNet-50, about 500
 * tensors) runs some 20k opcodes with a stack a few dozen deep; a hostile one could otherwise fill the heap with
 * millions of stack items, memo entries or list items from a few megabytes of opcodes.
 */
const MAX_OPCODES = 1 << 20;
const MAX_STACK = 1 << 16;
const MAX_MEMO = 1 << 18;
/** LONG1/LONG4 integers: a state_dict's largest is torch's 10-byte magic number; decoding grows quadratically. */
const MAX_LONG_BYTES = 64;

const UNSAFE_OPCODES: Record<number, string> = {
  0x69: 'INST',
  0x6f: 'OBJ',
  0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
};

export function invalidCheckpoint(source: string, detail: string, cause?: unknown): RetinaFaceError {
  return new RetinaFaceError('CHECKPOINT_INVALID', `${source} is not a readable PyTorch checkpoint: ${detail}`, {
    cause,
  });
}

export function unsafeCheckpoint(source: string, detail: string): RetinaFaceError {
  return new RetinaFaceError(
    'CHECKPOINT_UNSAFE',
    `${source} was refused: ${detail}. A state_dict needs none of this; the file may be malicious and nothing in it ` +
      'was run. Only plain state_dict checkpoints (torch.save(model.state_dict())) are read',
  );
}

/** Reads one pickle starting at `offset`. */
export function unpickle(data: Uint8Array, offset: number, options: UnpickleOptions): UnpickleResult {
  return new Unpickler(data, offset, options).run();
}

class Unpickler {
  private pos: number;
  private stack: unknown[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly view: DataView;

  constructor(
    private readonly data: Uint8Array,
    offset: number,
    private readonly options: UnpickleOptions,
  ) {
    this.pos = offset;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  run(): UnpickleResult {
    for (let count = 0; ; count++) {
      const at = this.pos;
      if (count >= MAX_OPCODES) throw this.invalid(at, `more than ${MAX_OPCODES} pickle opcodes (not a state_dict)`);
      if (this.stack.length > MAX_STACK) throw this.invalid(at, `a pickle stack deeper than ${MAX_STACK} items`);
      if (this.memo.size > MAX_MEMO) throw this.invalid(at, `more than ${MAX_MEMO} pickle memo entries`);
      const op = this.u8();
      if (op === 0x2e /* STOP */) {
        if (this.stack.length !== 1 || this.marks.length) throw this.invalid(at, 'unbalanced stack at STOP');
        return { value: this.stack[0], end: this.pos };
      }
      this.step(op, at);
    }
  }

  private step(op: number, at: number): void {
    const unsafe = UNSAFE_OPCODES[op];
    if (unsafe)
      throw unsafeCheckpoint(this.options.source, `pickle opcode ${unsafe} at byte ${at} instantiates a class by name`);
    switch (op) {
      case 0x80: {
        // PROTO
        const protocol = this.u8();
        if (protocol < 2 || protocol > 5) throw this.invalid(at, `pickle protocol ${protocol}`);
        return;
      }
      case 0x95: // FRAME: a length hint only
        this.take(8);
        return;
      case 0x28: // MARK
        this.marks.push(this.stack.length);
        this.stack.push(MARK);
        return;
      case 0x7d: // EMPTY_DICT
        this.stack.push(new PickleDict());
        return;
      case 0x5d: // EMPTY_LIST
        this.stack.push([]);
        return;
      case 0x29: // EMPTY_TUPLE
        this.stack.push(new PickleTuple());
        return;
      case 0x74: // TUPLE
        this.stack.push(PickleTuple.from(this.popMark(at)));
        return;
      case 0x85: // TUPLE1
        this.stack.push(PickleTuple.from(this.popN(1, at)));
        return;
      case 0x86: // TUPLE2
        this.stack.push(PickleTuple.from(this.popN(2, at)));
        return;
      case 0x87: // TUPLE3
        this.stack.push(PickleTuple.from(this.popN(3, at)));
        return;
      case 0x6c: // LIST
        this.stack.push(this.popMark(at));
        return;
      case 0x64: // DICT
        this.stack.push(this.dictFrom(this.popMark(at), new PickleDict(), at));
        return;
      case 0x61: {
        // APPEND (list is below the item)
        const [item] = this.popN(1, at);
        this.list(at).push(item);
        return;
      }
      case 0x65: {
        // APPENDS; a loop, not push(...items): a spread of 300k items overflows the call stack
        const items = this.popMark(at);
        const list = this.list(at);
        for (const item of items) list.push(item);
        return;
      }
      case 0x73: {
        // SETITEM
        const [key, value] = this.popN(2, at);
        this.dictFrom([key, value], this.dict(at), at);
        return;
      }
      case 0x75: {
        // SETITEMS
        const items = this.popMark(at);
        this.dictFrom(items, this.dict(at), at);
        return;
      }
      case 0x4a: // BININT
        this.stack.push(this.view.getInt32(this.take(4), true));
        return;
      case 0x4b: // BININT1
        this.stack.push(this.u8());
        return;
      case 0x4d: // BININT2
        this.stack.push(this.view.getUint16(this.take(2), true));
        return;
      case 0x8a: // LONG1
        this.stack.push(this.long(this.u8()));
        return;
      case 0x8b: // LONG4
        this.stack.push(this.long(this.view.getUint32(this.take(4), true)));
        return;
      case 0x58: // BINUNICODE
        this.stack.push(this.text(this.view.getUint32(this.take(4), true), 'utf8'));
        return;
      case 0x8c: // SHORT_BINUNICODE
        this.stack.push(this.text(this.u8(), 'utf8'));
        return;
      case 0x8d: // BINUNICODE8
        this.stack.push(this.text(this.u64(), 'utf8'));
        return;
      case 0x55: // SHORT_BINSTRING (Python 2 str)
        this.stack.push(this.text(this.u8(), 'latin1'));
        return;
      case 0x54: // BINSTRING
        this.stack.push(this.text(this.view.getUint32(this.take(4), true), 'latin1'));
        return;
      case 0x43: // SHORT_BINBYTES
        this.stack.push(this.bytes(this.u8()));
        return;
      case 0x42: // BINBYTES
        this.stack.push(this.bytes(this.view.getUint32(this.take(4), true)));
        return;
      case 0x8e: // BINBYTES8
        this.stack.push(this.bytes(this.u64()));
        return;
      case 0x47: // BINFLOAT (big-endian)
        this.stack.push(this.view.getFloat64(this.take(8), false));
        return;
      case 0x4e: // NONE
        this.stack.push(null);
        return;
      case 0x88: // NEWTRUE
        this.stack.push(true);
        return;
      case 0x89: // NEWFALSE
        this.stack.push(false);
        return;
      case 0x71: // BINPUT
        this.memo.set(this.u8(), this.top(at));
        return;
      case 0x72: // LONG_BINPUT
        this.memo.set(this.view.getUint32(this.take(4), true), this.top(at));
        return;
      case 0x94: // MEMOIZE
        this.memo.set(this.memo.size, this.top(at));
        return;
      case 0x68: // BINGET
        this.stack.push(this.recall(this.u8(), at));
        return;
      case 0x6a: // LONG_BINGET
        this.stack.push(this.recall(this.view.getUint32(this.take(4), true), at));
        return;
      case 0x30: // POP
        this.popN(1, at);
        return;
      case 0x31: // POP_MARK
        this.popMark(at);
        return;
      case 0x32: // DUP
        this.stack.push(this.top(at));
        return;
      case 0x63: {
        // GLOBAL: "module\nname\n"
        const module = this.line(at);
        const name = this.line(at);
        this.stack.push(this.options.resolveGlobal(module, name));
        return;
      }
      case 0x93: {
        // STACK_GLOBAL
        const [module, name] = this.popN(2, at);
        if (typeof module !== 'string' || typeof name !== 'string')
          throw this.invalid(at, 'STACK_GLOBAL without strings');
        this.stack.push(this.options.resolveGlobal(module, name));
        return;
      }
      case 0x52: {
        // REDUCE: callable(*args)
        const [callable, args] = this.popN(2, at);
        if (!isGlobal(callable) || !callable.call) {
          throw unsafeCheckpoint(this.options.source, `pickle calls ${describe(callable)} (REDUCE at byte ${at})`);
        }
        if (!Array.isArray(args)) throw this.invalid(at, 'REDUCE arguments are not a tuple');
        this.stack.push(callable.call(args));
        return;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state); only a dict's attributes (OrderedDict._metadata) are accepted
        const [state] = this.popN(1, at);
        const target = this.top(at);
        if (!(target instanceof PickleDict)) {
          throw unsafeCheckpoint(
            this.options.source,
            `pickle sets the state of ${describe(target)} (BUILD at byte ${at})`,
          );
        }
        target.state = state;
        return;
      }
      case 0x51: {
        // BINPERSID
        const [pid] = this.popN(1, at);
        if (!this.options.persistentLoad) throw this.invalid(at, 'unexpected persistent id');
        this.stack.push(this.options.persistentLoad(pid));
        return;
      }
      default:
        throw this.invalid(at, `unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  private invalid(at: number, detail: string): RetinaFaceError {
    return invalidCheckpoint(this.options.source, `${detail} (byte ${at})`);
  }

  private take(n: number): number {
    const at = this.pos;
    if (n > this.data.length - at) throw this.invalid(at, 'the file ends inside a pickle (truncated?)');
    this.pos += n;
    return at;
  }

  private u8(): number {
    return this.data[this.take(1)]!;
  }

  private u64(): number {
    const value = this.view.getBigUint64(this.take(8), true);
    return value > BigInt(this.data.length) ? this.data.length + 1 : Number(value); // oversize -> "truncated" in take()
  }

  private text(length: number, encoding: 'utf8' | 'latin1'): string {
    const at = this.take(length);
    return Buffer.from(this.data.buffer, this.data.byteOffset + at, length).toString(encoding);
  }

  private bytes(length: number): Uint8Array {
    const at = this.take(length);
    return new Uint8Array(this.data.subarray(at, at + length)); // a copy, whatever kind of view `data` is
  }

  /** Little-endian two's complement integer of `length` bytes; a number when it fits exactly, else a bigint. */
  private long(length: number): number | bigint {
    if (length > MAX_LONG_BYTES)
      throw this.invalid(this.pos, `an integer of ${length} bytes (at most ${MAX_LONG_BYTES} are read)`);
    const at = this.take(length);
    let value = 0n;
    for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.data[at + i]!);
    if (length > 0 && this.data[at + length - 1]! & 0x80) value -= 1n << BigInt(8 * length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private line(at: number): string {
    const end = this.data.indexOf(0x0a, this.pos);
    if (end < 0 || end - this.pos > 256) throw this.invalid(at, 'GLOBAL without a name line');
    const text = Buffer.from(this.data.buffer, this.data.byteOffset + this.pos, end - this.pos).toString('latin1');
    this.pos = end + 1;
    return text;
  }

  private top(at: number): unknown {
    if (this.stack.length === 0 || this.stack[this.stack.length - 1] === MARK) throw this.invalid(at, 'empty stack');
    return this.stack[this.stack.length - 1];
  }

  private popN(n: number, at: number): unknown[] {
    const floor = this.marks.length ? this.marks[this.marks.length - 1]! + 1 : 0;
    if (this.stack.length - n < floor) throw this.invalid(at, 'stack underflow');
    return this.stack.splice(this.stack.length - n, n);
  }

  private popMark(at: number): unknown[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw this.invalid(at, 'no MARK');
    const items = this.stack.splice(mark + 1);
    this.stack.length = mark;
    return items;
  }

  private list(at: number): unknown[] {
    const target = this.top(at);
    if (!Array.isArray(target) || target instanceof PickleTuple) throw this.invalid(at, 'APPEND to a non-list');
    return target;
  }

  private dict(at: number): PickleDict {
    const target = this.top(at);
    if (!(target instanceof PickleDict)) throw this.invalid(at, 'SETITEM on a non-dict');
    return target;
  }

  private dictFrom(items: unknown[], dict: PickleDict, at: number): PickleDict {
    if (items.length % 2) throw this.invalid(at, 'odd number of dict items');
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      if (key !== null && !['string', 'number', 'bigint', 'boolean'].includes(typeof key)) {
        throw this.invalid(at, `dict key of type ${describe(key)}`);
      }
      dict.set(key as PickleKey, items[i + 1]);
    }
    return dict;
  }

  private recall(index: number, at: number): unknown {
    if (!this.memo.has(index)) throw this.invalid(at, `memo ${index} read before it was written`);
    return this.memo.get(index);
  }
}

function isGlobal(value: unknown): value is PickleGlobal {
  return typeof value === 'object' && value !== null && typeof (value as PickleGlobal).qualifiedName === 'string';
}

/** A short name for any unpickled value; never recurses into it (a hostile pickle nests 100k levels deep). */
export function describe(value: unknown): string {
  if (isGlobal(value)) return value.qualifiedName;
  if (value === null) return 'None';
  if (value instanceof PickleDict) return 'a dict';
  if (value instanceof PickleTuple) return 'a tuple';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return typeof value;
}
