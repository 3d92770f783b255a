import { fstatSync, writeSync } from 'node:fs';
import { NetnsRunError } from '../errors.js';
import type { ExecPlan } from './plan.js';

// bin/netns-run is a shell that runs Node as its child and then execs what
// Node decided. Only the shell can exec for the caller: it still holds every
// descriptor and ignored signal the caller gave it (Node marks inherited
// descriptors close-on-exec and resets signal dispositions at start-up), and
// its PID is the one the caller started, so the target keeps it on every Node.
// Node hands the decision over as one line of shell on a private pipe.

/** The variable through which bin/netns-run names the pipe for Node's answer. */
export const HANDOFF_VARIABLE = 'NETNS_RUN_EXEC_FD';

/**
 * The descriptor the launcher gave us for the exec line, or undefined when
 * Node was started some other way (a setuid wrapper, `node bin/netns-run`):
 * then Node execs or spawns the chain itself. The variable is removed either
 * way so that it reaches no helper and no target. Under a setuid wrapper it
 * is never honoured: the launcher is a shell script, which cannot be setuid.
 */
export function takeHandoff(env: NodeJS.ProcessEnv, setuid: boolean): number | undefined {
  const value = env[HANDOFF_VARIABLE];
  delete env[HANDOFF_VARIABLE];
  if (value === undefined || setuid || !/^[3-9]$/.test(value)) return undefined;
  const fd = Number(value);
  try {
    return fstatSync(fd).isFIFO() ? fd : undefined;
  } catch {
    return undefined;
  }
}

/** One word for sh: single quotes keep every byte as it is; a quote is closed, escaped and reopened. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The shell text that turns the launcher into plan: its environment is made
 * exactly plan.env (the launcher's is the one Node inherited, so the
 * difference is known) and then it execs plan.argv. Variables whose names
 * are no shell's (dash drops them, bash passes them on) stay as they came;
 * one that had to change is refused rather than silently kept.
 */
export function shellCommand(plan: Pick<ExecPlan, 'argv' | 'env' | 'verbatim' | 'carried'>, inherited: Readonly<Record<string, string | undefined>>, args: readonly string[] = []): string {
  const unset = Object.keys(inherited).filter((name) => inherited[name] !== undefined && !Object.hasOwn(plan.env, name));
  const changed = Object.keys(plan.env).filter((name) => inherited[name] !== plan.env[name]);
  for (const name of [...unset, ...changed]) {
    if (!SHELL_NAME.test(name)) throw new NetnsRunError(`the environment variable ${JSON.stringify(name)} cannot be changed by a shell; unset it and try again`);
  }
  const parts: string[] = [];
  // Variables kept from the root helpers and given back by env(1) are
  // copied into shell variables before they are unset, so that they too
  // arrive with the caller's bytes, not Node's UTF-8 reading of them.
  let words = plan.argv.map(shellQuote);
  const saved: string[] = [];
  for (const name of plan.carried ?? []) {
    const at = plan.argv.indexOf(`${name}=${inherited[name]}`);
    if (!SHELL_NAME.test(name) || inherited[name] === undefined || at < 0) continue;
    let copy = `netns_run_${name}`;
    while (Object.hasOwn(inherited, copy)) copy = `_${copy}`;
    saved.push(`${copy}="$${name}"`);
    words[at] = `"${name}=$${copy}"`;
  }
  if (saved.length > 0) parts.push(saved.join(' '));
  if (unset.length > 0) parts.push(`unset ${unset.join(' ')}`);
  if (changed.length > 0) parts.push(`export ${changed.map((name) => `${name}=${shellQuote(plan.env[name]!)}`).join(' ')}`);
  // The command's words, when they are the caller's own last arguments, are
  // taken from the launcher's "$@": Node reads arguments as UTF-8, so a word
  // that is not (a Latin-1 file name) would otherwise arrive changed.
  const tail = plan.verbatim ?? 0;
  const fromCaller = tail > 0 && tail <= args.length && plan.argv.slice(-tail).every((word, i) => word === args[args.length - tail + i]);
  if (fromCaller) {
    words = words.slice(0, -tail);
    if (args.length > tail) parts.push(`shift ${args.length - tail}`);
  }
  parts.push(`exec ${words.join(' ')}${fromCaller ? ' "$@"' : ''}`);
  return `${parts.join('\n')}\n`;
}

/**
 * Starts what Node writes on the pipe; the launcher evaluates only what
 * follows it. Before Node ran, the forked shell had the pipe as its standard
 * output, and what it wrote there (the dynamic loader's LD_DEBUG lines,
 * for one) must not be taken for shell.
 */
export const HANDOFF_MARKER = '#netns-run-exec#';

/** Writes the exec lines for the launcher; it runs them once we have exited. */
export function handOff(fd: number, text: string): void {
  const bytes = Buffer.from(`${HANDOFF_MARKER}\n${text}`);
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(fd, bytes, written);
  } catch (error) {
    // The launcher is gone (killed while we prepared): nothing is left to run.
    throw new NetnsRunError(`the netns-run launcher went away before the command could start (${(error as NodeJS.ErrnoException).code})`);
  }
}
