import { authorise } from '../authorise.js';
import type { Caller } from '../caller.js';
import type { EnsureRequest } from '../cli.js';
import { ensureNamespace } from '../ensure/index.js';
import { pathsFor } from '../name.js';

/** --ensure NAME: make NAME and its mount namespace as a run would, and run nothing. */
export async function ensure(request: EnsureRequest, caller: Caller): Promise<void> {
  process.umask(0o022);
  const paths = pathsFor(request.name);
  await ensureNamespace(paths, await authorise(caller, paths, 'create'));
}
