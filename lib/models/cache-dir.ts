/**
 * Where downloaded weights and converted models live: $RETINAFACE_HOME, else the platform's user cache folder
 * ($XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows) + retinaface-trt.
 */
import os from 'node:os';
import path from 'node:path';

export const HOME_ENV = 'RETINAFACE_HOME';

export function modelCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env[HOME_ENV]) return path.resolve(env[HOME_ENV]);
  const home = env.HOME || env.USERPROFILE || os.homedir();
  if (platform === 'win32')
    return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'retinaface-trt', 'Cache');
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'retinaface-trt');
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'retinaface-trt');
}
