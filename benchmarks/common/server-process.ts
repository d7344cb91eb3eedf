/** Starts `retinaface serve` as a child process (as in production) and reports its address and memory. */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface ServerProcess {
  address: string;
  child: ChildProcess;
  /** Resident set size of the server process, in bytes (Linux). */
  rss(): number;
  stop(): Promise<number | null>;
  /** SIGTERM, then the exit: code, signal and milliseconds from the signal to the exit. */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** What the server printed on stderr so far. */
  stderr(): string;
}

export async function startServer(args: string[], env?: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const cli = path.resolve(__dirname, '../../dist/lib/cli/main.js');
  if (!fs.existsSync(cli)) throw new Error('dist/ is missing: run `npm run build` first');
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(env ? { env } : {}),
  });
  let stderr = '';
  const address = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(`server exited: ${stderr}`)));
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const exited = exit.then(({ code }) => code);
  return {
    address,
    child,
    rss() {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async terminate() {
      const signalledAt = performance.now();
      child.kill('SIGTERM');
      const { code, signal, at } = await exit;
      return { code, signal, ms: Math.max(0, at - signalledAt) };
    },
    stderr: () => stderr,
  };
}
