import { NetnsRunError } from '../errors.js';
import type { ExecPlan } from './plan.js';

type Execve = (file: string, args: readonly string[], env: Readonly<Record<string, string>>) => never;

/** Node 22.15+, 23.11+ and 24 can replace themselves; Node 20 cannot. */
export function canExecve(): boolean {
  return typeof (process as unknown as { execve?: Execve }).execve === 'function';
}

/**
 * Replaces netns-run with the entry chain: the target keeps our PID (for
 * systemd it is the main PID) and no Node process stays behind.
 */
export function execve(plan: ExecPlan): never {
  const run = (process as unknown as { execve: Execve }).execve;
  // process.execve is still "experimental": its warning would reach the
  // caller's stderr if the exec failed. The default printer is a listener.
  process.removeAllListeners('warning');
  try {
    return run(plan.file, plan.argv, plan.env);
  } catch (error) {
    throw new NetnsRunError(`cannot execute ${plan.file}: ${(error as Error).message}`);
  }
}
