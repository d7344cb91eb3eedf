/** A download progress bar on stderr (cli-progress), only for a terminal or when asked for. */
import cliProgress from 'cli-progress';

/** true = always, false = never, 'auto' = when stderr is a terminal. */
export type ProgressMode = boolean | 'auto';

export interface Progress {
  update(bytes: number): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

export function createProgress(label: string, totalBytes: number, mode: ProgressMode = 'auto'): Progress {
  if (mode === false || (mode === 'auto' && !process.stderr.isTTY)) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {megabytes}/{totalMegabytes} MB | {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      noTTYOutput: mode === true && !process.stderr.isTTY, // asked for explicitly: draw even into a pipe
      notTTYSchedule: 1000,
    },
    cliProgress.Presets.shades_classic,
  );
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  bar.start(totalBytes, 0, { megabytes: mb(0), totalMegabytes: mb(totalBytes) });
  return {
    update: (bytes) => bar.update(bytes, { megabytes: mb(bytes) }),
    stop: () => bar.stop(),
  };
}
