import { existsSync, rmSync } from 'node:fs';
import { NetnsRunError } from '../errors.js';
import type { NamespacePaths } from '../name.js';
import { findTools } from '../tools.js';
import { isCrashLeftover, madeByNetnsRun, namespaceId } from './inspect.js';
import { lockStateDir } from './lock.js';
import { tearDownOrder, type TeardownContext } from './steps.js';
import { newUndo } from './undo.js';

/**
 * Takes NAME down: what each set-up step made, newest first (steps.ts): its
 * mount namespace and state directory always, the network namespace only if
 * netns-run made this very one (or when forced), because a namespace made by
 * a VPN tool or an administrator is theirs. /etc/netns/NAME and
 * /etc/netns-run/NAME are configuration and stay. Returns notes for the caller.
 */
export async function tearDown(paths: NamespacePaths, force: boolean): Promise<string[]> {
  const hasState = existsSync(paths.stateDir);
  const hasNetns = existsSync(paths.netns);
  if (!hasState && !hasNetns) {
    throw new NetnsRunError(`${paths.name} does not exist: nothing in ${paths.netns} or ${paths.stateDir}; see 'netns-run --list'`);
  }
  // Without state of ours, the namespace is someone else's unless the caller insists.
  if (!hasState && !force) {
    const id = namespaceId(paths.netns);
    if (id !== undefined && !madeByNetnsRun(paths, id)) {
      throw new NetnsRunError(`${paths.netns} was not made by netns-run and it has no state of netns-run's to remove; --force deletes the namespace`);
    }
    if (id === undefined && !isCrashLeftover(paths.netns)) {
      throw new NetnsRunError(`${paths.netns} is no namespace and not empty, and netns-run has no state for ${paths.name}; --force removes the file`);
    }
  }
  const tools = findTools(['ip', 'umount', 'flock'] as const);
  const context: TeardownContext = { paths, tools, force, notes: [] };
  const undo = await newUndo();
  const release = hasState ? await lockStateDir(paths, tools.flock, undo) : undefined;
  undo.commit();
  try {
    for (const made of tearDownOrder()) made.tearDown!(context);
  } finally {
    release?.();
  }
  // The state directory (what the lock was held on, made by the lock) goes last.
  rmSync(paths.stateDir, { recursive: true, force: true });
  return context.notes;
}
