// What to make follows from what exists: a pure decision, no I/O here, so
// every choice is unit-tested without root. ensure/index.ts carries the
// steps out (ensure/steps.ts says what each does, undoes and tears down).

import type { MadeCoverKey } from '../name.js';

/** What exists now, as ensure/inspect.ts reads it. */
export interface NamespaceFacts {
  /** /run/netns/NAME: a namespace mount, absent, or a leftover file that is no mount. */
  readonly netns: 'mounted' | 'missing' | 'stale';
  /** /run/netns-run: a private mount of its own (so nsfs files can be bound in it), or not yet. */
  readonly stateRoot: 'mounted' | 'unmounted';
  /** /run/netns-run/NAME/mntns: kept alive for this very network namespace, absent, or stale (no mount, or made for an older one). */
  readonly mntns: 'current' | 'missing' | 'stale';
  /** Does /etc/netns/NAME/{resolv.conf,nsswitch.conf} exist? */
  readonly resolvConf: boolean;
  readonly nsswitchConf: boolean;
  /** The covers whose host path does not exist (for resolv.conf: after following its symlinks), in bind order. */
  readonly missingHostPaths: readonly MadeCoverKey[];
  /**
   * Host paths whose file the host has replaced since the binds were made
   * (a rename over /etc/resolv.conf, a new /run/nscd): the kernel drops a
   * bind whose mount point goes away, so inside they show the host's again.
   */
  readonly replacedCovers: readonly string[];
  /**
   * The WireGuard interfaces /etc/netns-run/NAME asks for: none asked for,
   * all made in this very network namespace, or some still to make.
   */
  readonly tunnels: 'none' | 'made' | 'missing';
  /**
   * network.conf: there is none (and nothing made from one), it is applied
   * to this very network namespace, or it is still to apply. An edit since
   * is --ensure's business (it reconciles), not a run's.
   */
  readonly networkConf: 'none' | 'made' | 'missing';
  /** A forward's proxy, made with network.conf for this very namespace, has died: a run starts it again. */
  readonly deadForwards: boolean;
  /** Likewise the nscd netns-run started for it ([Nscd]): a run starts it again, in the kept mount namespace. */
  readonly deadNscd: boolean;
}

export type EnsureStep =
  | 'remove-stale-netns'
  | 'create-netns'
  | 'configure-inside'
  | 'make-tunnels'
  | 'make-links'
  | 'make-forwards'
  | 'restart-forwards'
  | 'restart-nscd'
  | 'make-state-root-private'
  | 'default-resolv-conf'
  | 'default-nsswitch-conf'
  | `host-mount-point-${MadeCoverKey}`
  | 'remove-stale-mntns'
  | 'create-mntns'
  | 'rebind-replaced-covers'
  | 'start-nscd'
  | 'run-up-hooks'
  | 'record-network';

/** The steps that apply network.conf, in order: --ensure tears them down and applies them again after an edit. */
export const NETWORK_CONF_STEPS: readonly EnsureStep[] = ['configure-inside', 'make-links', 'make-forwards', 'start-nscd', 'run-up-hooks', 'record-network'];

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
  // The state directory itself is made by the lock (it is what is locked).
  if ((!mntnsUsable || !netnsUsable) && facts.stateRoot !== 'mounted') steps.push('make-state-root-private');
  if (facts.netns === 'stale') steps.push('remove-stale-netns');
  if (!netnsUsable) steps.push('create-netns');
  // A new network namespace has none of the old one's settings, interfaces or processes.
  const applyConf = facts.networkConf === 'missing' || (facts.networkConf === 'made' && !netnsUsable);
  // The ruleset and sysctls before any interface exists: a kill switch must be in place before a link is.
  if (applyConf) steps.push('configure-inside');
  if (facts.tunnels === 'missing' || (facts.tunnels === 'made' && !netnsUsable)) steps.push('make-tunnels');
  if (applyConf) steps.push('make-links', 'make-forwards');
  else if (facts.deadForwards) steps.push('restart-forwards');
  // nscd and the inside hooks run in the kept mount namespace, so they come after it.
  const afterMntns: EnsureStep[] = applyConf ? ['start-nscd', 'run-up-hooks', 'record-network'] : facts.deadNscd ? ['restart-nscd'] : [];
  if (!facts.resolvConf) steps.push('default-resolv-conf');
  if (!facts.nsswitchConf) steps.push('default-nsswitch-conf');
  // While the mount namespace stands, the host's paths matter only where a bind must be made again.
  const bindsToMake = !mntnsUsable || facts.replacedCovers.length > 0;
  if (bindsToMake) for (const key of facts.missingHostPaths) steps.push(`host-mount-point-${key}`);
  if (mntnsUsable) {
    // Repaired in place, so that commands already running in it are covered again too.
    if (facts.replacedCovers.length > 0) steps.push('rebind-replaced-covers');
    return [...steps, ...afterMntns];
  }
  if (facts.mntns !== 'missing') steps.push('remove-stale-mntns');
  steps.push('create-mntns');
  return [...steps, ...afterMntns];
}

