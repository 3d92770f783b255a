import { readFileSync } from 'node:fs';
import type { ExecPlan } from './plan.js';
import { endingFor, type Ending } from './status.js';

/** Signals a caller sends to netns-run that belong to the target. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT', 'SIGALRM'];

/** A terminal sends these to its whole foreground process group, the target included. */
const FROM_TERMINAL = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT', 'SIGWINCH']);

/** True when the child is in its terminal's foreground process group (fields 5 and 8 of /proc/PID/stat). */
function inForeground(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    const tpgid = Number(fields[5]);
    return tpgid > 0 && tpgid === pgrp;
  } catch {
    return false;
  }
}

/**
 * Where Node cannot execve: run the chain as a child and stay a thin parent.
 * Standard streams are the child's own (inherited, never copied through
 * Node); signals sent to us are passed on once; the child's ending becomes ours.
 */
export async function spawnAndWait(plan: ExecPlan): Promise<Ending> {
  const { execa } = await import('execa');
  const child = execa(plan.file, plan.argv.slice(1), {
    env: plan.env,
    extendEnv: false,
    stdio: 'inherit',
    reject: false,
    // We forward signals and mirror the ending ourselves; the target's pdeathsig covers our death.
    cleanup: false,
  });
  const forward = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    // The terminal already delivered it to the child, which shares our process group.
    if (FROM_TERMINAL.has(signal) && inForeground(child.pid)) return;
    child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  const result = await child;
  for (const signal of FORWARDED) process.off(signal, forward);
  return endingFor(result.exitCode, result.signal as NodeJS.Signals | undefined);
}
