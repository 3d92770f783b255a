// Who may do what, for everything that asks: a run, --ensure, self-elevation
// and the reports. The one rule for a policy file that cannot be read or is
// invalid: whatever depends on it stops with that one line (it names the
// file and the fix), and the reports show it as their problem. Nothing falls
// back to a default or quietly means "no": an administrator's typo must not
// look like a refusal, nor self-elevation pick a method the file may not say.
// Root never depends on it: root may do anything, with or without the file.

import { userInfo } from 'node:os';
import type { Caller, Elevation } from './caller.js';
import { NetnsRunError } from './errors.js';
import { namespaceId } from './ensure/inspect.js';
import type { NamespacePaths } from './name.js';
import { CreateRefused, loadPolicy, may, memberOf, POLICY_FILE, refusal, type Action, type Policy } from './policy.js';
import { findTool } from './tools.js';

/** Who asks, how they are privileged, and what the policy lets them do. */
export interface Asker {
  readonly user: string;
  readonly uid: number;
  /** How this netns-run is privileged; 'none' for a plain user's own. */
  readonly privilege: Elevation | 'none';
  readonly may: (name: string, action: Action) => boolean;
  /** Why the policy could not be read, when it could not (may() then answers no). */
  readonly policyProblem?: string;
}

type Person = Pick<Caller, 'user' | 'uid' | 'gid' | 'groups'>;

/** The asker as the reports see them: never throws for the policy, which becomes policyProblem. */
export async function askerOf(who: Person, privilege: Elevation | 'none'): Promise<Asker> {
  if (who.uid === 0) return { user: who.user, uid: 0, privilege, may: () => true };
  let policy: Policy;
  try {
    policy = loadPolicy();
  } catch (error) {
    if (!(error instanceof NetnsRunError)) throw error;
    return { user: who.user, uid: who.uid, privilege, may: () => false, policyProblem: error.message };
  }
  const member = await memberOf(who, policy, findTool('getent'));
  return { user: who.user, uid: who.uid, privilege, may: (name, action) => may(policy, member, name, action) };
}

/** The plain user running this netns-run without privilege. */
export function plainUser(): Person {
  return { user: userInfo().username, uid: process.getuid!(), gid: process.getgid!(), groups: process.getgroups!() };
}

/**
 * A caller other than root gets only what the policy grants, checked
 * before anything is made, so a refusal leaves nothing behind. A caller who
 * may use NAME but not create it gets the refusal back, for ensureNamespace
 * to raise if NAME turns out to need creating under the lock (root may have
 * deleted it since this look).
 */
export async function authorise(caller: Caller, paths: NamespacePaths, action: Action): Promise<CreateRefused | undefined> {
  if (caller.uid === 0) return undefined;
  const asker = await askerOf(caller, caller.elevation);
  if (asker.policyProblem !== undefined) throw new NetnsRunError(asker.policyProblem);
  if (!asker.may(paths.name, 'use')) throw refusal(caller, paths.name, 'use');
  if (action !== 'create' || asker.may(paths.name, 'create')) return undefined;
  const cannotCreate = new CreateRefused(caller.user, paths.name);
  if (namespaceId(paths.netns) === undefined) throw cannotCreate;
  return cannotCreate;
}

/**
 * A self-elevated run may give the command the environment its caller
 * handed over only where the administrator said so ('keep-env' on the
 * elevate line): the plain user's netns-run writes one only then, so
 * anything else was not written by it.
 */
export function mayHandOverEnvironment(caller: Caller): void {
  if (caller.uid === 0 || loadPolicy().keepEnv) return;
  throw new NetnsRunError(`an environment was handed over, but ${POLICY_FILE} has no 'keep-env' on its elevate line; run netns-run again`);
}
