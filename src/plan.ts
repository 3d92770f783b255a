// Pure decisions: no I/O here, so every choice is unit-tested without root.
// What to make follows from what exists (NamespaceFacts); how to enter and
// exec follows from who calls and what they asked (EntryInput).

import type { Caller } from './caller.js';
import type { SplitEnvironment } from './environment.js';
import type { NamespacePaths } from './name.js';
import type { Tools } from './tools.js';

/** What exists now, as ensure/inspect.ts reads it. */
export interface NamespaceFacts {
  /** /run/netns/NAME: a namespace mount, absent, or a leftover file that is no mount. */
  readonly netns: 'mounted' | 'missing' | 'stale';
  /** /run/netns-NAME: a mount point of its own (so nsfs files can be bound in it), a plain directory, or absent. */
  readonly stateDir: 'mounted' | 'directory' | 'missing';
  /** /run/netns-NAME/mntns: kept alive for this very network namespace, absent, or stale (no mount, or made for an older one). */
  readonly mntns: 'current' | 'missing' | 'stale';
  /** Does /etc/netns/NAME/{resolv.conf,nsswitch.conf} exist? */
  readonly resolvConf: boolean;
  readonly nsswitchConf: boolean;
  /** Do the host paths the binds go over exist (for resolv.conf: after following its symlinks)? */
  readonly hostResolvConf: boolean;
  readonly hostNsswitchConf: boolean;
  readonly hostNscdDir: boolean;
  /**
   * Host paths whose file the host has replaced since the binds were made
   * (a rename over /etc/resolv.conf, a new /run/nscd): the kernel drops a
   * bind whose mount point goes away, so inside they show the host's again.
   */
  readonly replacedCovers: readonly string[];
}

export type EnsureStep =
  | 'remove-stale-netns'
  | 'create-netns'
  | 'make-state-dir'
  | 'make-state-dir-private'
  | 'default-resolv-conf'
  | 'default-nsswitch-conf'
  | 'host-mount-point-resolv-conf'
  | 'host-mount-point-nsswitch-conf'
  | 'host-mount-point-nscd'
  | 'remove-stale-mntns'
  | 'create-mntns'
  | 'rebind-replaced-covers';

/**
 * The steps that bring NAME to a usable state, in order. Empty means the warm
 * path: nothing to make, no lock to take. A namespace made by someone else is
 * used as it is: nothing here changes an existing one.
 */
export function planEnsure(facts: NamespaceFacts): EnsureStep[] {
  const steps: EnsureStep[] = [];
  const netnsUsable = facts.netns === 'mounted';
  // A new network namespace makes any existing mount namespace stale: its /sys shows the old one.
  const mntnsUsable = facts.mntns === 'current' && netnsUsable;
  if (!mntnsUsable || !netnsUsable) {
    if (facts.stateDir === 'missing') steps.push('make-state-dir');
    if (facts.stateDir !== 'mounted') steps.push('make-state-dir-private');
  }
  if (facts.netns === 'stale') steps.push('remove-stale-netns');
  if (!netnsUsable) steps.push('create-netns');
  if (!facts.resolvConf) steps.push('default-resolv-conf');
  if (!facts.nsswitchConf) steps.push('default-nsswitch-conf');
  // While the mount namespace stands, the host's paths matter only where a bind must be made again.
  const bindsToMake = !mntnsUsable || facts.replacedCovers.length > 0;
  if (bindsToMake && !facts.hostResolvConf) steps.push('host-mount-point-resolv-conf');
  if (bindsToMake && !facts.hostNsswitchConf) steps.push('host-mount-point-nsswitch-conf');
  if (bindsToMake && !facts.hostNscdDir) steps.push('host-mount-point-nscd');
  if (mntnsUsable) {
    // Repaired in place, so that commands already running in it are covered again too.
    if (facts.replacedCovers.length > 0) steps.push('rebind-replaced-covers');
    return steps;
  }
  if (facts.mntns !== 'missing') steps.push('remove-stale-mntns');
  steps.push('create-mntns');
  return steps;
}

/**
 * Who execs the chain: the launcher shell (bin/netns-run, any Node), Node
 * itself (process.execve, Node 22.15+/24, when started without the
 * launcher), or a Node parent that spawns it and stays (Node 20).
 */
export type ExecPath = 'shell' | 'execve' | 'spawn';

export interface EntryInput {
  readonly tools: Pick<Tools, 'nsenter' | 'setpriv' | 'env'>;
  readonly paths: NamespacePaths;
  readonly caller: Caller;
  /** The directory the target starts in, entered by env(1) as the caller. */
  readonly directory: string;
  readonly command: readonly string[];
  readonly environment: SplitEnvironment;
  readonly path: ExecPath;
}

/** A program to exec: argv[0] included, the environment complete. */
export interface ExecPlan {
  readonly file: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly path: ExecPath;
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
  const parentDeath = input.path === 'spawn' ? ['--pdeathsig=SIGKILL'] : [];
  // Node ignores SIGPIPE and SIGXFSZ for itself, and exec keeps what is
  // ignored; the launcher shell never touched the caller's dispositions, so
  // from there the target gets them as the caller left them (nohup too).
  const signals = input.path === 'shell' ? [] : ['--default-signal=PIPE,XFSZ'];
  const argv = [
    tools.nsenter, `--net=${paths.netns}`, `--mount=${paths.mntns}`, '--',
    tools.setpriv, `--reuid=${caller.uid}`, `--regid=${caller.gid}`, ...groups, ...capabilities, ...parentDeath, '--',
    tools.env, ...signals, `--chdir=${input.directory}`, '--', ...input.environment.restore,
    ...input.command,
  ];
  return { file: tools.nsenter, argv, env: input.environment.helpers, path: input.path, verbatim: input.command.length, carried: input.environment.restore.map((word) => word.slice(0, word.indexOf('='))) };
}
