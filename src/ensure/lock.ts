import { closeSync, constants, fstatSync, mkdirSync, openSync, rmdirSync, statSync } from 'node:fs';
import { describeFailure, failed, tryHelper, waitForHelper } from '../helpers.js';
import { NetnsRunError } from '../errors.js';
import type { NamespacePaths } from '../name.js';
import { checkDirectories, rootOnlyWritable } from '../trust.js';
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
  makeStateRoot(paths);
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
    if (!rootOnlyWritable(held)) {
      closeSync(fd);
      throw new NetnsRunError(`${paths.stateDir} is not owned by root or is writable by others; remove it and try again`);
    }
    // flock(1) gets the directory as its descriptor 3 and locks it for us.
    // Free (the common case), the lock is taken at once, synchronously;
    // held by another first use of NAME, we wait for it asynchronously, so
    // that a signal (a caller giving up) is handled while we wait.
    const quick = tryHelper(flock, ['--exclusive', '--nonblock', '--conflict-exit-code', String(BUSY), '3'], { fds: [fd], timeoutMs: 10_000 });
    let outcome = quick;
    if (quick.error === undefined && quick.code === BUSY) {
      outcome = await waitForHelper(flock, ['--exclusive', '--wait', '60', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
      if (outcome.code === 1 && !outcome.timedOut && outcome.error === undefined) {
        closeSync(fd);
        throw new NetnsRunError(`could not lock ${paths.stateDir} within 60 s: another netns-run is stuck setting up ${paths.name}`);
      }
    }
    if (failed(outcome)) {
      closeSync(fd);
      // flock(1) could not even start or lock (a caller's low limit on descriptors or processes, say): not another netns-run.
      throw new NetnsRunError(`could not lock ${paths.stateDir}: ${describeFailure(flock, outcome)}`);
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

/** The directory every namespace's state is kept in: made once, kept, and only if root alone can change it. */
function makeStateRoot(paths: NamespacePaths): void {
  try {
    mkdirSync(paths.stateRoot, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new NetnsRunError(`cannot create ${paths.stateRoot}: ${(error as Error).message}`);
  }
  checkDirectories([paths.stateRoot]);
}

/**
 * FN with the host-wide lock held: an exclusive flock(2) on the state root
 * itself, for what namespaces share on the host (the forwarding switches
 * of an uplink, whose "before" one namespace's --down hands over to
 * another's record). Short sections only, taken while NAME's own lock is
 * held and never the other way round, so two can never wait on each other.
 */
export function withHostLock<T>(stateRoot: string, flock: string, fn: () => T): T {
  const fd = openSync(stateRoot, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    if (!rootOnlyWritable(fstatSync(fd))) throw new NetnsRunError(`${stateRoot} is not owned by root or is writable by others; fix it and try again`);
    const outcome = tryHelper(flock, ['--exclusive', '--wait', '30', '3'], { fds: [fd], timeoutMs: 35_000 });
    if (failed(outcome)) throw new NetnsRunError(`could not lock ${stateRoot} for the host's shared settings: ${outcome.code === 1 ? 'another netns-run held it for 30 s' : describeFailure(flock, outcome)}`);
    return fn();
  } finally {
    closeSync(fd);
  }
}
