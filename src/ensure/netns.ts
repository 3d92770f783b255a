import { unlinkSync, writeFileSync } from 'node:fs';
import { NetnsRunError } from '../errors.js';
import type { NamespacePaths } from '../name.js';
import type { Tools } from '../tools.js';
import { helperSucceeds, runHelper } from '../helpers.js';
import { isCrashLeftover, namespaceId } from './inspect.js';
import type { Undo } from './undo.js';

/**
 * A file at /run/netns/NAME that is no namespace mount is what a crash of
 * `ip netns add` or an unmount leaves. It is removed only if it is what that
 * leaves: an empty regular file.
 */
export function removeStaleNetns(paths: NamespacePaths): void {
  if (!isCrashLeftover(paths.netns)) {
    throw new NetnsRunError(`${paths.netns} exists but is no network namespace; remove it or choose another name`);
  }
  unlinkSync(paths.netns);
}

/** Made exactly as `ip netns add` makes it (it is ip that makes it), with lo up as a usable namespace needs. */
export async function createNetns(paths: NamespacePaths, tools: Pick<Tools, 'ip'>, undo: Undo): Promise<void> {
  runHelper(tools.ip, ['netns', 'add', paths.name], `creating network namespace ${paths.name}`);
  undo.push(`delete network namespace ${paths.name}`, () => {
    helperSucceeds(tools.ip, ['netns', 'delete', paths.name]);
  });
  runHelper(tools.ip, ['-n', paths.name, 'link', 'set', 'lo', 'up'], `bringing lo up in ${paths.name}`);
  // Teardown removes a namespace only if netns-run made it; this says which one it made.
  writeFileSync(paths.createdMarker, `${namespaceId(paths.netns) ?? ''}\n`, { mode: 0o644 });
  undo.push(`remove ${paths.createdMarker}`, () => unlinkSync(paths.createdMarker));
}
