// How to enter and exec follows from who calls and what they asked: a pure
// decision, unit-tested without root.

import type { Caller } from '../caller.js';
import type { SplitEnvironment } from '../environment.js';
import type { NamespacePaths } from '../name.js';
import type { Restore } from '../inherited.js';
import type { Tools } from '../tools.js';
import type { Covering } from '../ensure/index.js';

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
  /** How the covers are had (ensure/index.ts): the kept mount namespace unless said otherwise. */
  readonly covering?: Covering;
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
  const { tools, caller } = input;
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
    ...enterNamespaces(input),
    tools.setpriv, `--reuid=${caller.uid}`, `--regid=${caller.gid}`, ...groups, ...capabilities, ...parentDeath, '--',
    ...limits, ...niceness,
    tools.env, ...signals, `--chdir=${input.directory}`, '--', ...input.environment.restore,
    ...input.command,
  ];
  return { file: tools.nsenter, argv, env: input.environment.helpers, route: input.route, verbatim: input.command.length, carried: input.environment.restore.map((word) => word.slice(0, word.indexOf('='))) };
}

// Run as root between nsenter and setpriv, in a mount namespace just made
// from the caller's (a hardened service's): the covers of name.ts bound as
// in the kept namespace (files read-only; the nscd directory root's) and a
// /sys of the network namespace; then it execs the rest of the chain, so the
// PID stays. Every argument is a path netns-run made or checked, or a tool
// it found; every expansion is quoted.
export const COVER_SCRIPT = `mount=$1 umount=$2 name=$3
shift 3
while [ "$1" != -- ]; do
  if [ "$1" = file ]; then "$mount" -o bind,ro "$2" "$3"
  elif [ "$1" = directory ] || [ -d "$3" ]; then "$mount" --bind "$2" "$3"; fi 2>/dev/null ||
    { echo "netns-run: cannot cover $3 for $name in this mount namespace; run netns-run --ensure $name outside it and try again" >&2; exit 125; }
  shift 3
done
shift
"$umount" --lazy /sys 2>/dev/null
"$mount" -t sysfs "$name" /sys 2>/dev/null || "$mount" -t sysfs -o ro "$name" /sys || { echo "netns-run: cannot mount /sys for $name" >&2; exit 125; }
exec "$@"`;

/**
 * nsenter's part of the chain. Where the kept mount namespace is out of reach
 * (a service's own mount namespace, see ensure/inspect.ts keptElsewhere), the
 * network namespace is entered and a private copy of the caller's mount
 * namespace made for this run alone: the service keeps its hardening and gets
 * the covers. unshare execs, as nsenter does.
 */
function enterNamespaces(input: EntryInput): string[] {
  const { tools, paths, covering } = input;
  if (covering === undefined || covering.kind === 'kept') return [tools.nsenter, `--net=${paths.netns}`, `--mount=${paths.mntns}`, '--'];
  const t = covering.tools;
  return [
    tools.nsenter, `--net=${paths.netns}`, '--',
    t.unshare, '--mount', '--propagation', 'slave', '--',
    t.sh, '-c', COVER_SCRIPT, 'netns-run-covers', t.mount, t.umount, paths.name,
    ...paths.covered.flatMap(({ kind, source, host }) => [kind, source, host]), '--',
  ];
}
