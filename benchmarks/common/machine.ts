/** A description of the machine a benchmark ran on, stored next to its numbers. */
import os from 'node:os';
import sharp from 'sharp';

export interface MachineDescription {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  onnxruntime: string;
  sharp: string;
  gpu: string;
}

export function describeMachine(): MachineDescription {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntime: ortVersion,
    sharp: sharp.versions.sharp ?? 'unknown',
    gpu: 'none',
  };
}
