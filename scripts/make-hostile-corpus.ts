/**
 * Writes the malformed-input corpus (test/helpers/hostile-corpus.ts) into a folder, for manual runs and as fuzz
 * seeds, with manifest.json (file -> kind and expected outcome) beside it, and prints the outcome table.
 *   npx tsx scripts/make-hostile-corpus.ts <dir>
 * The expectations hold for a detector with the limits in the manifest (CORPUS_LIMITS).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CORPUS_LIMITS, describeExpected, writeHostileCorpus } from '../test/helpers/hostile-corpus';

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: npx tsx scripts/make-hostile-corpus.ts <dir>');
    process.exitCode = 2;
    return;
  }
  const entries = await writeHostileCorpus(dir);
  const manifest = {
    limits: CORPUS_LIMITS,
    files: entries.map((e) => ({
      name: e.name,
      kind: e.kind,
      expect: e.expect,
      ...(e.pathOnly ? { pathOnly: true } : {}),
      ...(e.failOnWarning ? { failOnWarning: e.failOnWarning } : {}),
      bytes: e.bytes?.length ?? null,
    })),
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.log(
    `${entries.length} files in ${dir} (limits: maxPixels ${CORPUS_LIMITS.maxPixels}, minSide ${CORPUS_LIMITS.minSide})\n`,
  );
  console.log('| file | kind | outcome | failOn: warning |');
  console.log('| --- | --- | --- | --- |');
  for (const e of entries) {
    const strict = e.failOnWarning ? describeExpected(e.failOnWarning) : '';
    console.log(
      `| ${e.name} | ${e.kind}${e.pathOnly ? ' (path only)' : ''} | ${describeExpected(e.expect)} | ${strict} |`,
    );
  }
}

void main();
