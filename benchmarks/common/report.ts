/** A benchmark's report: benchmarks/results/<name>-<day>.json (the numbers) and .md (the table), also on stdout. */
import fs from 'node:fs';
import path from 'node:path';

export function writeReport(name: string, day: string, result: object, markdown: string): void {
  const out = path.join(__dirname, '..', 'results', `${name}-${day}`);
  fs.writeFileSync(`${out}.json`, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(`${out}.md`, markdown);
  process.stdout.write(markdown);
}
