import { existsSync, lstatSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { NetnsRunError } from '../errors.js';
import type { NamespacePaths } from '../name.js';
import { findTools } from '../tools.js';
import { runHelper } from '../helpers.js';
import { isNamespaceMount, mountPoints, namespaceId } from './inspect.js';
import { lockStateDir } from './lock.js';
import { newUndo } from './undo.js';

/**
 * Takes NAME down: its mount namespace and its state directory always; the
 * network namespace only if netns-run made this very one (or when forced),
 * because a namespace made by a VPN tool or an administrator is theirs.
 * /etc/netns/NAME is configuration and stays. Returns notes for the caller.
 */
export async function tearDown(paths: NamespacePaths, force: boolean): Promise<string[]> {
  const hasState = existsSync(paths.stateDir);
  const hasNetns = existsSync(paths.netns);
  if (!hasState && !hasNetns) {
    throw new NetnsRunError(`${paths.name} does not exist: nothing in ${paths.netns} or ${paths.stateDir}; see 'netns-run --list'`);
  }
  const tools = findTools(['ip', 'umount', 'flock'] as const);
  const notes: string[] = [];
  const undo = await newUndo();
  const release = hasState ? await lockStateDir(paths, tools.flock, undo) : undefined;
  undo.commit();
  try {
    if (isNamespaceMount(paths.mntns)) runHelper(tools.umount, [paths.mntns], `unmounting ${paths.mntns}`);
    const id = namespaceId(paths.netns);
    const made = id !== undefined && readOr(paths.createdMarker) === id;
    if (id !== undefined) {
      if (made || force) runHelper(tools.ip, ['netns', 'delete', paths.name], `deleting network namespace ${paths.name}`);
      else if (hasState) notes.push(`kept ${paths.netns}: netns-run did not make it (--force deletes it)`);
      else throw new NetnsRunError(`${paths.netns} was not made by netns-run and it has no state of netns-run's to remove; --force deletes the namespace`);
    } else if (hasNetns) {
      // A leftover file, no namespace: an empty one is what a crash leaves.
      if (force || lstatSync(paths.netns).size === 0) unlinkSync(paths.netns);
      else if (hasState) notes.push(`kept ${paths.netns}: it is no namespace and not empty (--force removes it)`);
      else throw new NetnsRunError(`${paths.netns} is no namespace and not empty, and netns-run has no state for ${paths.name}; --force removes the file`);
    }
  } finally {
    release?.();
  }
  if (hasState) {
    for (const entry of ['mntns', 'mntns.for', 'covers', 'created-netns', 'resolv.conf', 'nsswitch.conf', 'nscd']) {
      rmSync(`${paths.stateDir}/${entry}`, { recursive: true, force: true });
    }
    if (mountPoints().has(paths.stateDir)) runHelper(tools.umount, ['--lazy', paths.stateDir], `unmounting ${paths.stateDir}`);
    rmSync(paths.stateDir, { recursive: true, force: true });
  }
  return notes;
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
