import { authorise } from '../authorise.js';
import type { Caller } from '../caller.js';
import type { EnsureRequest } from '../cli.js';
import { ensureNamespace } from '../ensure/index.js';
import { pathsFor } from '../name.js';
import { oneLine } from '../errors.js';

/**
 * --ensure NAME: make NAME and its mount namespace as a run would, bring its
 * tunnels to what their files say now, and run nothing. What it changed in
 * a standing network is said on stderr, a line each.
 */
export async function ensure(request: EnsureRequest, caller: Caller): Promise<void> {
  process.umask(0o022);
  const paths = pathsFor(request.name);
  const { notes } = await ensureNamespace(paths, await authorise(caller, paths, 'create'), { reconcile: true });
  for (const note of notes) process.stderr.write(`netns-run: ${paths.name}: ${oneLine(note)}\n`);
}
