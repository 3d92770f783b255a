// The one place that starts programs before the exec: ip, mount, unshare,
// flock, getent, wg, wireguard-go. Every helper gets the environment given
// here (root's helpers see nothing of the caller's), no standard input
// unless a secret is handed over on it, its output captured, and a time
// limit. node:child_process is loaded on first use only: the warm path runs
// no helper and pays nothing for it. It is loaded synchronously
// (process.getBuiltinModule), so that undo steps can start helpers from an
// exit handler too.

import type { ChildProcess, StdioOptions } from 'node:child_process';
import { NetnsRunError, oneLine } from './errors.js';
import { findTool, TRUSTED_PATH } from './tools.js';

type ChildProcessModule = typeof import('node:child_process');

/** Helpers run as root see nothing of the caller's environment; C messages, so failures read the same everywhere. */
export const HELPER_ENV: Readonly<Record<string, string>> = { PATH: TRUSTED_PATH, LC_ALL: 'C' };

/** Long enough for a slow mount or a lookup over LDAP, short enough that a hung helper does not hang a unit's start. */
export const HELPER_TIMEOUT_MS = 30_000;

function childProcesses(): ChildProcessModule {
  return process.getBuiltinModule('node:child_process');
}

/** How a helper ended, with what it printed. */
export interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** It could not be started (ENOENT, EACCES, EMFILE, ...). */
  readonly error?: Error;
  readonly timedOut: boolean;
}

export function failed(outcome: Outcome): boolean {
  return outcome.error !== undefined || outcome.timedOut || outcome.code !== 0;
}

/** Why it failed, in one short phrase, for when the helper itself said nothing (or may not be quoted). */
export function describeFailure(file: string, outcome: Outcome, timeoutMs = HELPER_TIMEOUT_MS): string {
  if (outcome.timedOut) return `${file} timed out after ${Math.round(timeoutMs / 1000)} s`;
  if (outcome.error !== undefined) {
    const code = (outcome.error as NodeJS.ErrnoException).code;
    // Out of descriptors or processes: the caller's limits, not a broken system.
    if (code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN') return `${file} could not be started: too many open files or processes (${code})`;
    return `${file} could not be started: ${outcome.error.message}`;
  }
  if (outcome.signal !== null) return `${file} was killed by ${outcome.signal}`;
  return `${file} exited with status ${outcome.code}`;
}

/** The last line a failed helper printed: usually the one that says why. */
export function lastLine(text: string): string {
  // mount(8) ends its failures with a pointer to dmesg; the reason is the line before.
  const lines = text.trim().split('\n').filter((line) => line.trim() && !/dmesg\(1\) may have more information/.test(line));
  return oneLine(lines[lines.length - 1] ?? '');
}

export interface HelperOptions {
  /** The helper's whole environment (default HELPER_ENV): nothing of ours is added. */
  readonly env?: Readonly<Record<string, string>>;
  /** Default HELPER_TIMEOUT_MS; the helper is then killed with SIGKILL. */
  readonly timeoutMs?: number;
  /** Written to the helper's standard input: the only way a secret (a WireGuard key) reaches a helper. */
  readonly input?: string | Buffer;
  readonly stdout?: 'pipe' | 'ignore';
  /** Descriptors of ours the helper gets as its 3, 4, ... (flock locks the one it is given). */
  readonly fds?: readonly number[];
  /**
   * false: the helper's own words never reach an error message (wg echoes a
   * malformed key back); the message then says only how it ended.
   */
  readonly quote?: boolean;
  /**
   * The helper leads a session of its own, and when its time is up the
   * whole of it is killed, not only the helper: a hook (an administrator's
   * program, run as root) may have started children of its own that would
   * otherwise outlive the failed set-up.
   */
  readonly ownSession?: boolean;
}

/**
 * Runs a helper to its end, synchronously: no streams, no event-loop round
 * trips, so each costs about a millisecond less than an asynchronous spawn.
 * A signal that reaches us meanwhile is handled once it returns; these
 * helpers take milliseconds, and the time limit bounds the rest.
 */
export function tryHelper(file: string, args: readonly string[], options: HelperOptions = {}): Outcome {
  const timeout = options.timeoutMs ?? HELPER_TIMEOUT_MS;
  const result = childProcesses().spawnSync(file, [...args], {
    env: { ...(options.env ?? HELPER_ENV) },
    stdio: [options.input !== undefined ? 'pipe' : 'ignore', options.stdout ?? 'pipe', 'pipe', ...(options.fds ?? [])],
    ...(options.input !== undefined ? { input: options.input } : {}),
    timeout,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
    windowsHide: true,
    ...(options.ownSession === true ? { detached: true } : {}),
  });
  const error = result.error as NodeJS.ErrnoException | undefined;
  const timedOut = error?.code === 'ETIMEDOUT';
  if (timedOut && options.ownSession === true && result.pid > 0) killSession(result.pid);
  return {
    code: result.status,
    signal: result.signal,
    stdout: result.stdout?.toString() ?? '',
    stderr: result.stderr?.toString() ?? '',
    ...(error !== undefined && !timedOut ? { error } : {}),
    timedOut,
  };
}

/** Runs a helper that must succeed; its standard output, or one line saying what failed ("<doing> failed: <why>"). */
/**
 * What is left of the session LEADER led (its process group, as a hook's
 * children stay in it unless they make their own). The group's id stays
 * taken while any member lives, so the signal cannot reach a stranger.
 */
function killSession(leader: number): void {
  try {
    process.kill(-leader, 'SIGKILL');
  } catch {
    // ESRCH: nothing of it is left.
  }
}

export function runHelper(file: string, args: readonly string[], doing: string, options: HelperOptions = {}): string {
  const outcome = tryHelper(file, args, options);
  if (failed(outcome)) {
    const said = options.quote === false ? '' : lastLine(outcome.stderr);
    throw new NetnsRunError(`${doing} failed: ${said || describeFailure(file, outcome, options.timeoutMs)}`);
  }
  return outcome.stdout;
}

/** For undo steps and teardown, which go on whatever one step does: true if it succeeded, never throws. */
export function helperSucceeds(file: string, args: readonly string[], options: HelperOptions = {}): boolean {
  return !failed(tryHelper(file, args, { ...options, stdout: 'ignore' }));
}

export interface Started {
  readonly child: ChildProcess;
  /** Settles (never rejects) when the helper has ended and its output is read. */
  readonly done: Promise<Outcome>;
}

/**
 * Starts a helper to wait for asynchronously, so that signals are handled
 * while it runs (waiting for another netns-run's lock). It is killed should
 * netns-run be killed before it ends. No time limit unless one is given.
 */
export async function startHelper(file: string, args: readonly string[], options: Omit<HelperOptions, 'input'> & { readonly stdio?: StdioOptions } = {}): Promise<Started> {
  const { onExit } = await import('signal-exit');
  const child = childProcesses().spawn(file, [...args], {
    env: { ...(options.env ?? HELPER_ENV) },
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe', ...(options.fds ?? [])],
    windowsHide: true,
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  const removeExitHandler = onExit(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  let timedOut = false;
  let term: NodeJS.Timeout | undefined;
  let kill: NodeJS.Timeout | undefined;
  if (options.timeoutMs !== undefined) {
    term = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    }, options.timeoutMs);
  }
  const done = new Promise<Outcome>((resolve) => {
    let spawnError: Error | undefined;
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(term);
      clearTimeout(kill);
      removeExitHandler();
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ...(spawnError !== undefined ? { error: spawnError } : {}),
        timedOut,
      });
    };
    child.on('error', (error) => {
      spawnError = error;
      // A helper that never started may emit no 'close'.
      if (child.pid === undefined) finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
  return { child, done };
}

/** Runs a helper to its end asynchronously. */
export async function waitForHelper(file: string, args: readonly string[], options: Parameters<typeof startHelper>[2] = {}): Promise<Outcome> {
  return (await startHelper(file, args, options)).done;
}

/**
 * Closes every descriptor above 2, then execs its arguments: a daemon must
 * not keep what the caller left open (a pipe of their shell, a file of
 * theirs) for as long as the namespace stands. Node cannot mark inherited
 * descriptors close-on-exec, and sh cannot name one above 9; perl (Debian's
 * perl-base is Essential) can do both.
 */
const CLOSE_INHERITED = 'use POSIX (); opendir(my $d, "/proc/self/fd") or die "/proc/self/fd: $!\\n"; my @fds = grep { /^[0-9]+$/ && $_ > 2 } readdir($d); closedir($d); POSIX::close($_) for @fds; exec { $ARGV[0] } @ARGV or die "$ARGV[0]: $!\\n"';

export interface DaemonOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly output?: number;
  /**
   * perl's arguments before the daemon's (default: -e CLOSE_INHERITED): a
   * program that closes every descriptor above 2 as that one does, then
   * execs the rest (syscalls.ts's daemonPerl).
   */
  readonly perl?: readonly string[];
}

/**
 * Starts a helper that outlives netns-run (wireguard-go): its own session,
 * no terminal, standard input from /dev/null, its output to the descriptor
 * given (or nowhere), and no other descriptor of netns-run's or its caller's.
 * Returns its PID (perl execs the daemon, so it is the daemon's); whoever
 * records it ends it.
 */
export function startDaemon(file: string, args: readonly string[], options: DaemonOptions = {}): number {
  const out = options.output ?? 'ignore';
  const perlArgs = [...(options.perl ?? ['-e', CLOSE_INHERITED]), file, ...args];
  const child = childProcesses().spawn(findTool('perl'), perlArgs, {
    env: { ...(options.env ?? HELPER_ENV) },
    stdio: ['ignore', out, out],
    detached: true,
    windowsHide: true,
  });
  if (child.pid === undefined) throw new NetnsRunError(`${file} could not be started`);
  child.unref();
  return child.pid;
}
