import type { Caller } from '../caller.js';
import type { DownRequest } from '../cli.js';
import { NetnsRunError } from '../errors.js';
import { tearDown } from '../ensure/teardown.js';
import { pathsFor } from '../name.js';

/** --down NAME: root only; what could not be removed is said, one line each. */
export async function down(request: DownRequest, caller: Caller): Promise<void> {
  if (caller.uid !== 0) throw new NetnsRunError(`only root may tear a namespace down; ${caller.user} may not`);
  for (const note of await tearDown(pathsFor(request.name), request.force)) process.stderr.write(`netns-run: ${note}\n`);
}
