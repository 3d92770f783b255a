import { canExecve, execve } from './execve.js';
import { handOff, shellCommand } from './handoff.js';
import { spawnAndWait } from './spawn.js';
import type { Ending } from './status.js';
import type { StdioWatch } from './stdio.js';
import type { ExecRoute, ExecPlan } from './plan.js';

/** How this process was started, and what it needs to hand the exec over. */
export interface Launch {
  /** The pipe of bin/netns-run's shell, which execs what we write there; undefined when started directly. */
  readonly handoff: number | undefined;
  /** The environment Node inherited (the launcher's own), without the handoff variable. */
  readonly inherited: Readonly<Record<string, string | undefined>>;
  readonly stdio: StdioWatch;
}

export const OK: Ending = { kind: 'code', code: 0 };

/** Who will exec the plan: the launcher shell, Node itself, or a Node parent (see plan.ts). */
export function execRoute(launch: Launch): ExecRoute {
  if (launch.handoff !== undefined) return 'shell';
  return canExecve() ? 'execve' : 'spawn';
}

/**
 * Has the launcher exec plan; where Node was started directly, replaces us
 * with it (execve) or runs it as a child and ends as it ends (spawn).
 */
export function execute(plan: ExecPlan, launch: Launch, args: readonly string[]): Promise<Ending> | Ending | never {
  launch.stdio.blocking();
  switch (plan.route) {
    case 'shell':
      handOff(launch.handoff!, shellCommand(plan, launch.inherited, args));
      return OK;
    case 'execve':
      return execve(plan);
    case 'spawn':
      return spawnAndWait(plan);
  }
}
