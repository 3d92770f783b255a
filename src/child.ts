// The few programs netns-run runs before the exec (ip, mount, unshare,
// flock, getent) are run with node:child_process, loaded on first use: the
// warm path runs none of them and loads nothing for them. What execa gave
// us and we still need is here: a clean environment, no stdin, captured
// output, a time limit, and no helper left running if we are killed.

import type { ChildProcess, StdioOptions } from 'node:child_process';

type ChildProcessModule = typeof import('node:child_process');

let loaded: ChildProcessModule | undefined;

/** node:child_process, imported once (it costs a few ms of start-up, so never on the warm path). */
export async function childProcesses(): Promise<ChildProcessModule> {
  return (loaded ??= await import('node:child_process'));
}

/** How a helper ended, with what it printed. */
export interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** It could not be started (ENOENT, EACCES, ...). */
  readonly error?: Error;
  readonly timedOut: boolean;
}

export function failed(outcome: Outcome): boolean {
  return outcome.error !== undefined || outcome.timedOut || outcome.code !== 0;
}

/** Why it failed, in one short phrase, for when the helper itself said nothing. */
export function describeFailure(file: string, outcome: Outcome, timeoutMs?: number): string {
  if (outcome.timedOut) return `${file} timed out after ${Math.round((timeoutMs ?? 0) / 1000)} s`;
  if (outcome.error !== undefined) return `${file} could not be started: ${outcome.error.message}`;
  if (outcome.signal !== null) return `${file} was killed by ${outcome.signal}`;
  return `${file} exited with status ${outcome.code}`;
}

export interface StartOptions {
  /** The helper's whole environment: nothing of ours is added. */
  readonly env: Readonly<Record<string, string>>;
  /** stdin, stdout, stderr and any further descriptors; default: no stdin, both outputs captured. */
  readonly stdio?: StdioOptions;
  /** Milliseconds before SIGTERM, then SIGKILL 5 s later; none by default. */
  readonly timeout?: number;
}

export interface Started {
  readonly child: ChildProcess;
  /** Settles (never rejects) when the helper has ended and its output is read. */
  readonly done: Promise<Outcome>;
}

/** Starts file with args (no shell); the helper is killed should netns-run be killed before it ends. */
export async function startHelper(file: string, args: readonly string[], options: StartOptions): Promise<Started> {
  const { spawn } = await childProcesses();
  const { onExit } = await import('signal-exit');
  const child = spawn(file, [...args], { env: { ...options.env }, stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'], windowsHide: true });
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
  if (options.timeout !== undefined) {
    term = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    }, options.timeout);
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

/**
 * Runs a short helper to its end, synchronously: no streams, no event-loop
 * round trips, so each costs about a millisecond less than an asynchronous
 * spawn, and the first costs several less (Node's stream machinery is not
 * loaded). A signal that reaches us meanwhile is handled once it returns;
 * these helpers (mount, ip, getent) take milliseconds. The time limit ends
 * the helper with SIGKILL.
 */
export async function runShort(file: string, args: readonly string[], options: Omit<StartOptions, 'stdio'> & { readonly stdout?: 'pipe' | 'ignore' }): Promise<Outcome> {
  const { spawnSync } = await childProcesses();
  const result = spawnSync(file, [...args], {
    env: { ...options.env },
    stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
    ...(options.timeout !== undefined ? { timeout: options.timeout, killSignal: 'SIGKILL' as const } : {}),
    maxBuffer: 16 * 1024 * 1024,
    windowsHide: true,
  });
  const error = result.error as NodeJS.ErrnoException | undefined;
  const timedOut = error?.code === 'ETIMEDOUT';
  return {
    code: result.status,
    signal: result.signal,
    stdout: result.stdout?.toString() ?? '',
    stderr: result.stderr?.toString() ?? '',
    ...(error !== undefined && !timedOut ? { error } : {}),
    timedOut,
  };
}

/** Runs a helper to its end. */
export async function runToEnd(file: string, args: readonly string[], options: StartOptions): Promise<Outcome> {
  return (await startHelper(file, args, options)).done;
}
