// How to enter and exec follows from who calls and what they asked: a pure
// decision, unit-tested without root.

import type { Caller } from '../caller.js';
import type { SplitEnvironment } from '../environment.js';
import type { NamespacePaths } from '../name.js';
import type { Restore } from '../inherited.js';
import type { Tools } from '../tools.js';

/**
 * Who execs the chain: the launcher shell (bin/netns-run, any Node), Node
 * itself (process.execve, Node 22.15+/24, when started without the
 * launcher), or a Node parent that spawns it and stays (Node 20).
 */
export type ExecRoute = 'shell' | 'execve' | 'spawn';

export interface EntryInput {
  readonly tools: Pick<Tools, 'nsenter' | 'setpriv' | 'env'> & Partial<Pick<Tools, 'prlimit' | 'nice'>>;
  readonly paths: NamespacePaths;
  readonly caller: Caller;
  /** The directory the target starts in, entered by env(1) as the caller. */
  readonly directory: string;
  readonly command: readonly string[];
  readonly environment: SplitEnvironment;
  readonly route: ExecRoute;
  /** The caller's limits and priority, where root's set-up changed this process's (see inherited.ts). */
  readonly restore?: Restore;
}

/** A program to exec: argv[0] included, the environment complete. */
export interface ExecPlan {
  readonly file: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly route: ExecRoute;
  /** How many of argv's last words are the caller's own last arguments, word for word (the launcher passes those as it got them). */
  readonly verbatim?: number;
  /** Variables that env(1) gives back to the target after the root helpers ran without them. */
  readonly carried?: readonly string[];
}

/**
 * nsenter (root) enters both namespaces; setpriv (root) becomes the caller;
 * env (the caller) enters the directory, restores what was kept from root,
 * and execs the target through the caller's PATH. Each program execs the
 * next, so on the shell and execve paths the target keeps netns-run's PID. The chdir
 * happens after the drop and inside the mount namespace: the directory is
 * reached with the caller's rights and getcwd() reads as in the host.
 */
export function planEntry(input: EntryInput): ExecPlan {
  const { tools, paths, caller } = input;
  const groups = caller.groups.length > 0 ? [`--groups=${caller.groups.join(',')}`] : ['--clear-groups'];
  // Root stays root with its capabilities, as with ip netns exec; anyone
  // else gets none, not even inheritable or ambient ones.
  const capabilities = caller.uid === 0 ? [] : ['--inh-caps=-all', '--ambient-caps=-all'];
  // Without execve a Node parent stays; the target must not outlive it.
  const parentDeath = input.route === 'spawn' ? ['--pdeathsig=SIGKILL'] : [];
  // Node ignores SIGPIPE and SIGXFSZ for itself, and exec keeps what is
  // ignored; the launcher shell never touched the caller's dispositions, so
  // from there the target gets them as the caller left them (nohup too).
  const signals = input.route === 'shell' ? [] : ['--default-signal=PIPE,XFSZ'];
  // The launcher shell never changed them; Node started directly gives the caller's back, as the caller.
  const restore = input.route === 'shell' ? undefined : input.restore;
  const limits = restore !== undefined && restore.limits.length > 0 ? [tools.prlimit!, ...restore.limits, '--'] : [];
  const niceness = restore?.niceness !== undefined ? [tools.nice!, '-n', String(restore.niceness)] : [];
  const argv = [
    tools.nsenter, `--net=${paths.netns}`, `--mount=${paths.mntns}`, '--',
    tools.setpriv, `--reuid=${caller.uid}`, `--regid=${caller.gid}`, ...groups, ...capabilities, ...parentDeath, '--',
    ...limits, ...niceness,
    tools.env, ...signals, `--chdir=${input.directory}`, '--', ...input.environment.restore,
    ...input.command,
  ];
  return { file: tools.nsenter, argv, env: input.environment.helpers, route: input.route, verbatim: input.command.length, carried: input.environment.restore.map((word) => word.slice(0, word.indexOf('='))) };
}
