import { closeSync, constants, fstatSync, mkdirSync, openSync, rmdirSync, statSync } from 'node:fs';
import { childProcesses, failed, runToEnd } from '../child.js';
import { NetnsRunError } from '../errors.js';
import type { NamespacePaths } from '../name.js';
import type { Undo } from './undo.js';

/**
 * First use of NAME is serialised by an exclusive flock(2) on its state
 * directory. Node has no flock, so flock(1) takes the lock on a descriptor
 * we pass it: the lock belongs to the open file description, which stays
 * ours after flock(1) exits, and dies with us however we end.
 */
/** flock(1)'s exit status when the lock is held by someone else (--conflict-exit-code). */
const BUSY = 75;

export async function lockStateDir(paths: NamespacePaths, flock: string, undo: Undo): Promise<() => void> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      mkdirSync(paths.stateDir, { mode: 0o755 });
      undo.push(`remove ${paths.stateDir}`, () => rmdirSync(paths.stateDir));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new NetnsRunError(`cannot create ${paths.stateDir}: ${(error as Error).message}`);
      }
    }
    const fd = openSync(paths.stateDir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    const held = fstatSync(fd);
    if (held.uid !== 0 || (held.mode & 0o022) !== 0) {
      closeSync(fd);
      throw new NetnsRunError(`${paths.stateDir} is not owned by root or is writable by others; remove it and try again`);
    }
    // flock(1) gets the directory as its descriptor 3 and locks it for us.
    // Free (the common case), the lock is taken at once, synchronously;
    // held by another first use of NAME, we wait for it asynchronously, so
    // that a signal (a caller giving up) is handled while we wait.
    const { spawnSync } = await childProcesses();
    const quick = spawnSync(flock, ['--exclusive', '--nonblock', '--conflict-exit-code', String(BUSY), '3'], {
      stdio: ['ignore', 'ignore', 'ignore', fd],
      env: { PATH: '/usr/bin:/bin' },
      timeout: 10_000,
      killSignal: 'SIGKILL',
    });
    let locked = quick.error === undefined && quick.status === 0;
    if (quick.error === undefined && quick.status === BUSY) {
      const result = await runToEnd(flock, ['--exclusive', '--wait', '60', '3'], {
        stdio: ['ignore', 'ignore', 'pipe', fd],
        env: { PATH: '/usr/bin:/bin' },
      });
      locked = !failed(result);
    }
    if (!locked) {
      closeSync(fd);
      throw new NetnsRunError(`could not lock ${paths.stateDir} within 60 s: another netns-run is stuck setting up ${paths.name}`);
    }
    // The directory may have been removed (a failed setup rolled back) while we waited.
    try {
      const now = statSync(paths.stateDir);
      if (now.dev === held.dev && now.ino === held.ino) return () => closeSync(fd);
    } catch {
      // gone: take it again
    }
    closeSync(fd);
  }
  throw new NetnsRunError(`${paths.stateDir} keeps changing under netns-run; try again`);
}
