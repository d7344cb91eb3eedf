/** A benchmark's report: <base>.json (the numbers) and <base>.md (the table), beside each other in a results folder. */
import fs from 'node:fs';
import path from 'node:path';

/** The default results folder, benchmarks/results. */
export const RESULTS_DIR = path.join(__dirname, '..', 'results');

/** Writes `<base>.json` and `<base>.md` (`base`: a path without extension; its folder is made if missing). */
export function writeReport(base: string, result: object, markdown: string): void {
  fs.mkdirSync(path.dirname(base), { recursive: true });
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(`${base}.md`, markdown);
}
