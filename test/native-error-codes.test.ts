// The error codes of the native addon and of lib/errors.ts stay in step: every code a native error can carry is
// one of ErrorCodes (toRetinaFaceError would otherwise turn it into the caller's fallback), and every other
// ErrorCodes member is declared JS-only, so a code added on one side only fails here.
import t from 'tap';
import { binding } from '../lib/binding';
import { ErrorCodes, JS_ONLY_ERROR_CODES } from '../lib/errors';

const native = [...binding().errorCodes];
const declared = ErrorCodes as readonly string[];

t.test('the addon lists its error codes', async (t) => {
  t.ok(native.length > 0, 'a non-empty list');
  t.equal(new Set(native).size, native.length, 'without repeats');
  t.ok(native.includes('INVALID_ARGUMENT') && native.includes('NATIVE_ERROR'), 'the codes every native call can raise');
});

t.test('every native code is one of ErrorCodes', async (t) => {
  t.same(
    native.filter((code) => !declared.includes(code)),
    [],
    'native codes missing from lib/errors.ts',
  );
});

t.test('ErrorCodes without the native codes are exactly the declared JS-only codes', async (t) => {
  const jsOnly = declared.filter((code) => !native.includes(code));
  t.same([...jsOnly].sort(), [...JS_ONLY_ERROR_CODES].sort(), 'JS_ONLY_ERROR_CODES in lib/errors.ts');
});
