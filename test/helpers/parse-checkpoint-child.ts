/** Child process for bounded-memory tests: parses the checkpoint at argv[2], prints {code, maxRssMiB} as JSON. */
import fs from 'node:fs';
import { parseCheckpoint } from '../../lib/models/checkpoint/read-checkpoint';

async function main(): Promise<void> {
  const bytes = fs.readFileSync(process.argv[2]!);
  let code = 'OK';
  try {
    await parseCheckpoint(bytes, 'bomb.pth');
  } catch (error) {
    code = (error as { code?: string }).code ?? `untyped ${(error as Error).name}: ${(error as Error).message}`;
  }
  console.log(JSON.stringify({ code, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
}
void main();
