import { NetnsRunError } from './errors.js';

// Names end up in paths under /run and /etc and in mount tables, so the rule
// is deliberately narrower than what iproute2 accepts: no slash, no dot-dot,
// no leading dash (it would read as an option), nothing a shell or a
// mountinfo line would need to escape.
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
export const NAME_MAX_LENGTH = 64;

export function checkName(name: string): string {
  if (NAME_PATTERN.test(name)) return name;
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}...` : name);
  let why: string;
  if (name.length === 0) why = 'it is empty';
  else if (name.length > NAME_MAX_LENGTH) why = `it is ${name.length} characters long, the limit is ${NAME_MAX_LENGTH}`;
  else if (name.startsWith('-') || name.startsWith('.')) why = `it starts with '${name[0]}'`;
  else why = 'it has a character other than letters, digits, _ . -';
  throw new NetnsRunError(
    `invalid namespace name ${shown}: ${why}; use letters, digits, _ . - (not first: . -), at most ${NAME_MAX_LENGTH} characters`,
  );
}

/**
 * A host path the auxiliary mount namespace covers, and with what: the one
 * list that set-up, repair, --status and the unit drop-in all read.
 */
export interface Cover {
  /** The step names and status keys of this cover: resolv-conf, nsswitch-conf, nscd. */
  readonly key: 'resolv-conf' | 'nsswitch-conf' | 'nscd' | 'systemd-resolve';
  /** The host's path, hidden inside. */
  readonly host: string;
  /** What is bound over it: a copy in the state directory (files) or an empty directory of ours. */
  readonly source: string;
  /** The administrator's file the copy is made from, which a systemd drop-in binds directly. */
  readonly configured?: string;
  /** optional-directory: covered only where the host has it, and never made in the host (systemd-resolved's own directory). */
  readonly kind: 'file' | 'directory' | 'optional-directory';
}

/** The covers whose host path netns-run makes when the host has none. */
export type MadeCoverKey = Exclude<Cover['key'], 'systemd-resolve'>;

/** Every path that belongs to a namespace, derived in this one place. */
export interface NamespacePaths {
  readonly name: string;
  /** The network namespace, bind-mounted the iproute2 way. */
  readonly netns: string;
  /** Where every namespace's state is kept: a private mount of itself, so that nsfs files can be bound in it (as ip netns does for /run/netns). */
  readonly stateRoot: string;
  /** netns-run's state for NAME, in stateRoot. */
  readonly stateDir: string;
  /** The auxiliary mount namespace, kept alive by a bind mount. */
  readonly mntns: string;
  /** Records which network namespace the mount namespace was made for (see namespaceId). */
  readonly mntnsFor: string;
  /** What each bind inside covers in the host, by device and inode, to notice when the host replaces one. */
  readonly covers: string;
  /** Present when netns-run created the network namespace (so only then may it remove it). */
  readonly createdMarker: string;
  /** The administrator's per-namespace files, as `ip netns exec` uses them. */
  readonly etcDir: string;
  readonly resolvConf: string;
  readonly nsswitchConf: string;
  /**
   * What the mount namespace covers, in the order the binds are made: the
   * resolver files by copies in the state directory (rewritten in place so
   * that edits show), /run/nscd by an empty directory of ours.
   */
  readonly covered: readonly Cover[];
  /** netns-run's configuration of NAME's own network (WireGuard files, network.conf): root's alone. */
  readonly configDir: string;
  /** configDir/network.conf: links, NAT, sysctl, nftables, hooks, nscd, forwards. */
  readonly networkConf: string;
  /** What netns-run made of network.conf, one record file per thing, so that --down removes exactly that whatever the file says by then. */
  readonly networkState: string;
  /** The network namespace and network.conf digest network.conf was last applied to: "NETNSID FINGERPRINT". */
  readonly networkMade: string;
}

export const NETNS_DIR = '/run/netns';
/**
 * One directory for the state of every namespace, not one mount point each:
 * a mount made under a shared /run (every systemd host) would be copied into
 * every kept mount namespace made before it.
 */
export const STATE_ROOT = '/run/netns-run';
/** Where the administrator's resolver files of each namespace are (/etc/netns/NAME), as `ip netns exec` reads them. */
export const RESOLVER_DIR = '/etc/netns';
/** Where each namespace's own network is configured (/etc/netns-run/NAME). */
export const CONFIG_DIR = '/etc/netns-run';

export function pathsFor(name: string): NamespacePaths {
  const stateDir = `${STATE_ROOT}/${name}`;
  const etcDir = `${RESOLVER_DIR}/${name}`;
  const resolvConf = `${etcDir}/resolv.conf`;
  const nsswitchConf = `${etcDir}/nsswitch.conf`;
  return {
    name,
    netns: `${NETNS_DIR}/${name}`,
    stateRoot: STATE_ROOT,
    stateDir,
    mntns: `${stateDir}/mntns`,
    mntnsFor: `${stateDir}/mntns.for`,
    covers: `${stateDir}/covers`,
    createdMarker: `${stateDir}/created-netns`,
    etcDir,
    resolvConf,
    nsswitchConf,
    covered: [
      { key: 'resolv-conf', host: '/etc/resolv.conf', source: `${stateDir}/resolv.conf`, configured: resolvConf, kind: 'file' },
      { key: 'nsswitch-conf', host: '/etc/nsswitch.conf', source: `${stateDir}/nsswitch.conf`, configured: nsswitchConf, kind: 'file' },
      { key: 'nscd', host: '/run/nscd', source: `${stateDir}/nscd`, kind: 'directory' },
      // systemd-resolved's varlink and D-Bus-less sockets answer from the host's network, as nscd's does.
      { key: 'systemd-resolve', host: '/run/systemd/resolve', source: `${stateDir}/systemd-resolve`, kind: 'optional-directory' },
    ],
    configDir: `${CONFIG_DIR}/${name}`,
    networkConf: `${CONFIG_DIR}/${name}/network.conf`,
    networkState: `${stateDir}/network`,
    networkMade: `${stateDir}/network.made`,
  };
}
