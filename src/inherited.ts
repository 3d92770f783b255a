// What a caller hands a privileged netns-run besides its arguments and
// environment is hostile input too: resource limits, the scheduling
// priority, the umask, signal dispositions and mask, the personality, open
// descriptors. A file-size limit of 19 bytes would otherwise cut root's
// rewrite of a resolver file that every process in the namespace reads; a
// descriptor limit would make a helper fail half-way; a core-size limit
// would let root's memory (a WireGuard key) land in a core file.
//
// Who handles which:
// - Node itself, at start-up: signal dispositions and the signal mask (all
//   reset), descriptors 0-2 (opened on /dev/null if closed), and inherited
//   descriptors above 2 (close-on-exec, so no helper gets them).
// - The kernel: the personality flags that weaken a privileged process
//   (PER_CLEAR_ON_SETID) are cleared when sudo, pkexec or a setuid wrapper
//   is executed.
// - ensure/ and main: the umask (0022 for what netns-run makes).
// - Here: resource limits and the priority. They are set for this process
//   and its helpers only; the command gets the caller's own back (the
//   launcher shell never changed them; Node started directly restores them
//   in the exec chain with prlimit and nice). Where a limit cannot be raised
//   (the hard limit, without CAP_SYS_RESOURCE) the run is refused before
//   anything is made.

import { readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { NetnsRunError } from './errors.js';
import { helperSucceeds } from './helpers.js';
import { findTool } from './tools.js';

export type LimitValue = number | 'unlimited';

export interface Limit {
  readonly soft: LimitValue;
  readonly hard: LimitValue;
}

/** A resource as /proc/PID/limits names it, the prlimit(1) option for it, and what root's set-up needs of it. */
interface Rule {
  readonly row: string;
  readonly option: string;
  readonly words: string;
  /** The least the set-up needs (soft limit); 'unlimited' for a limit that must not bind at all. */
  readonly floor?: LimitValue;
  /** The most it may be (core: no dump of root's memory). */
  readonly ceiling?: number;
}

const RULES: readonly Rule[] = [
  { row: 'Max cpu time', option: 'cpu', words: 'CPU time', floor: 'unlimited' },
  { row: 'Max file size', option: 'fsize', words: 'file size', floor: 'unlimited' },
  { row: 'Max data size', option: 'data', words: 'data size', floor: 'unlimited' },
  { row: 'Max stack size', option: 'stack', words: 'stack size', floor: 8 * 1024 * 1024 },
  { row: 'Max core file size', option: 'core', words: 'core file size', ceiling: 0 },
  { row: 'Max processes', option: 'nproc', words: 'number of processes', floor: 1024 },
  { row: 'Max open files', option: 'nofile', words: 'number of open files', floor: 1024 },
  { row: 'Max address space', option: 'as', words: 'address space', floor: 'unlimited' },
  { row: 'Max file locks', option: 'locks', words: 'number of file locks', floor: 'unlimited' },
  { row: 'Max pending signals', option: 'sigpending', words: 'number of pending signals', floor: 1024 },
];

/** /proc/PID/limits, by row name. */
export function parseLimits(text: string): Map<string, Limit> {
  const limits = new Map<string, Limit>();
  const value = (word: string): LimitValue => (word === 'unlimited' ? 'unlimited' : Number(word));
  for (const line of text.split('\n')) {
    const match = /^(Max [a-z ]+?)\s{2,}(unlimited|\d+)\s+(unlimited|\d+)/.exec(line);
    if (match) limits.set(match[1]!, { soft: value(match[2]!), hard: value(match[3]!) });
  }
  return limits;
}

function below(value: LimitValue, floor: LimitValue): boolean {
  if (value === 'unlimited') return false;
  return floor === 'unlimited' || value < floor;
}

function show(value: LimitValue): string {
  return value === 'unlimited' ? 'unlimited' : String(value);
}

/** One change a privileged run makes to a limit: what it was (restored for the command), what it becomes. */
export interface LimitChange {
  readonly option: string;
  readonly words: string;
  readonly was: Limit;
  readonly wanted: Limit;
}

/**
 * The limits root's set-up must change, and to what: pure, so every rule is
 * unit-tested. A soft limit below the floor is raised to the floor, the hard
 * limit with it where that is needed; a core size above the ceiling is lowered.
 */
export function limitChanges(limits: ReadonlyMap<string, Limit>): LimitChange[] {
  const changes: LimitChange[] = [];
  for (const rule of RULES) {
    const was = limits.get(rule.row);
    if (was === undefined) continue;
    if (rule.floor !== undefined && below(was.soft, rule.floor)) {
      const hard = below(was.hard, rule.floor) ? rule.floor : was.hard;
      changes.push({ option: rule.option, words: rule.words, was, wanted: { soft: rule.floor, hard } });
    } else if (rule.ceiling !== undefined && (was.soft === 'unlimited' || was.soft > rule.ceiling)) {
      changes.push({ option: rule.option, words: rule.words, was, wanted: { soft: rule.ceiling, hard: was.hard } });
    }
  }
  return changes;
}

/** prlimit(1) words that set each change's limits (wanted) or give the caller's back (was). */
export function prlimitWords(changes: readonly LimitChange[], which: 'wanted' | 'was'): string[] {
  return changes.map((change) => `--${change.option}=${show(change[which].soft)}:${show(change[which].hard)}`);
}

/** What a run must give the command back once the set-up is done, where Node execs it itself. */
export interface Restore {
  /** prlimit words with the caller's own limits. */
  readonly limits: readonly string[];
  /** The caller's niceness, where it was changed. */
  readonly niceness?: number;
}

const NOTHING_TO_RESTORE: Restore = { limits: [] };

/**
 * Makes this (root) process's limits and priority its own. Costs one small
 * read when the caller left them alone; a prlimit helper only when not.
 * Called once the process is root in every id (a setuid start has become
 * root by then): prlimit(2) on another process needs all of the helper's
 * uids to match the target's real uid.
 */
export function takeOverInherited(pid = process.pid): Restore {
  let niceness: number | undefined;
  try {
    const own = getPriority();
    // A caller's nice 19 would slow root's set-up while it holds the lock every other first use waits on.
    if (own > 0) {
      setPriority(0);
      niceness = own;
    }
  } catch {
    // Not allowed to raise it: only slower.
  }
  const changes = limitChanges(parseLimits(readFileSync(`/proc/${pid}/limits`, 'utf8')));
  if (changes.length === 0) return niceness === undefined ? NOTHING_TO_RESTORE : { limits: [], niceness };
  const prlimit = findTool('prlimit');
  if (!helperSucceeds(prlimit, ['--pid', String(pid), ...prlimitWords(changes, 'wanted')])) {
    // Without CAP_SYS_RESOURCE a hard limit cannot be raised: raise each soft limit as far as its hard one allows.
    const reachable = changes.map((change) => ({ ...change, wanted: { soft: lower(change.wanted.soft, change.was.hard), hard: change.was.hard } }));
    helperSucceeds(prlimit, ['--pid', String(pid), ...prlimitWords(reachable, 'wanted')]);
  }
  const still = limitChanges(parseLimits(readFileSync(`/proc/${pid}/limits`, 'utf8')));
  if (still.length > 0) {
    const what = still.map((change) => `${change.words} ${show(change.was.soft)}`).join(', ');
    throw new NetnsRunError(`your resource limits (${what}) are too low for netns-run to change the system safely, and it cannot raise them; raise them (see ulimit -a) and try again`);
  }
  return { limits: prlimitWords(changes, 'was'), ...(niceness !== undefined ? { niceness } : {}) };
}

function lower(a: LimitValue, b: LimitValue): LimitValue {
  if (a === 'unlimited') return b;
  if (b === 'unlimited') return a;
  return Math.min(a, b);
}

/**
 * Node reads these when it starts, even setuid, before any code of ours
 * runs; NODE_DEBUG=child_process would print root's helper invocations to
 * the caller. Under a setuid start they are refused (sudo and pkexec
 * remove them).
 */
const NODE_DEBUGGING = ['NODE_DEBUG', 'NODE_DEBUG_NATIVE', 'NODE_REDIRECT_WARNINGS'];

export function refuseNodeDebugging(env: NodeJS.ProcessEnv, setuid: boolean): void {
  if (!setuid) return;
  const set = NODE_DEBUGGING.filter((name) => (env[name] ?? '') !== '');
  if (set.length > 0) throw new NetnsRunError(`${set.join(', ')} would make Node.js report what root does to you; unset ${set.length > 1 ? 'them' : 'it'} and try again`);
}
