// The long-running processes netns-run starts for a namespace (wireguard-go,
// nscd, forwards) are recorded by PID and start time and signalled only
// while /proc still shows that very process: one reading of /proc for all.

import { readFileSync } from 'node:fs';

/** /proc/PID/stat: state and start time (field 22), or undefined if there is no such process. */
export function processStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, startTime: fields[19]! };
  } catch {
    return undefined;
  }
}

/** Running: there, and neither a zombie nor dead. */
export function alive(pid: number): boolean {
  const stat = processStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** Set-up is synchronous (helpers run with spawnSync): waiting for a daemon's socket blocks too. */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
