// binding.gyp (node-gyp's CPU-only addon, the install fallback) and CMakeLists.txt (the full build) list the addon's
// sources separately: gyp cannot read CMake's lists. CMake keeps the lists gyp repeats in cmake/sources.cmake; this
// checks that binding.gyp names exactly those files, so a source added to one build is not missing from the other.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';

const root = path.resolve(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const gypLists = ['RETINAFACE_CORE_SOURCES', 'RETINAFACE_ADDON_SOURCES', 'RETINAFACE_TRT_PROBE_SOURCES'];
const withoutComments = (cmake: string) => cmake.replace(/#[^\n]*/g, '');

// binding.gyp is a Python literal; ours is JSON once its "#" comment lines are dropped.
function gypSources(): string[] {
  const text = read('binding.gyp')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
  const gyp = JSON.parse(text) as { targets: { target_name: string; sources: string[] }[] };
  const addon = gyp.targets.find((target) => target.target_name === 'retinaface');
  if (!addon) throw new Error('binding.gyp has no "retinaface" target');
  return addon.sources;
}

// The set(NAME a b c) blocks of cmake/sources.cmake.
function cmakeLists(): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  for (const match of withoutComments(read('cmake/sources.cmake')).matchAll(/\bset\(\s*(\w+)([^)]*)\)/g))
    lists.set(match[1] ?? '', (match[2] ?? '').split(/\s+/).filter(Boolean));
  return lists;
}

t.test('binding.gyp builds exactly the sources CMake lists for the CPU-only addon', async (t) => {
  const lists = cmakeLists();
  for (const name of gypLists) t.ok(lists.get(name)?.length, `cmake/sources.cmake sets ${name}`);
  const cmake = gypLists.flatMap((name) => lists.get(name) ?? []);
  const gyp = gypSources();
  t.same([...gyp].sort(), [...cmake].sort(), `binding.gyp's sources are ${gypLists.join(' + ')}`);
  t.equal(new Set(gyp).size, gyp.length, 'binding.gyp names no file twice');
  t.same(
    cmake.filter((file) => !fs.existsSync(path.join(root, file))),
    [],
    'every listed file exists',
  );
});

t.test('CMakeLists.txt builds from those lists', async (t) => {
  const cmake = withoutComments(read('CMakeLists.txt'));
  t.match(cmake, /^include\(cmake\/sources\.cmake\)/m, 'includes cmake/sources.cmake');
  for (const name of gypLists) t.ok(cmake.includes('${' + name + '}'), `uses \${${name}}`);
  // A listed file that a target also names directly is built outside the lists that gyp mirrors.
  const listed = new Set([...cmakeLists().values()].flat());
  const direct = [...cmake.matchAll(/\b(?:add_library|add_executable|target_sources)\(([^)]*)\)/g)]
    .flatMap((match) => (match[1] ?? '').split(/\s+/))
    .filter((word) => listed.has(word));
  t.same(direct, [], 'no target names a listed file directly');
  // The core is one library, built whole by both builds.
  const core = fs.readdirSync(path.join(root, 'native/core')).filter((file) => file.endsWith('.cc'));
  const coreList = cmakeLists().get('RETINAFACE_CORE_SOURCES') ?? [];
  t.same(core.map((file) => `native/core/${file}`).sort(), [...coreList].sort(), 'every native/core/*.cc is listed');
});
