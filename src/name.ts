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

/** Every path that belongs to a namespace, derived in this one place. */
export interface NamespacePaths {
  readonly name: string;
  /** The network namespace, bind-mounted the iproute2 way. */
  readonly netns: string;
  /** netns-run's state for NAME: a private mount so nsfs files can be bound in it. */
  readonly stateDir: string;
  /** The auxiliary mount namespace, kept alive by a bind mount. */
  readonly mntns: string;
  /** Records which network namespace the mount namespace was made for (see namespaceId). */
  readonly mntnsFor: string;
  /** What each bind inside covers in the host, by device and inode, to notice when the host replaces one. */
  readonly covers: string;
  /** Present when netns-run created the network namespace (so only then may it remove it). */
  readonly createdMarker: string;
  /** Copies of the resolver files that are bind-mounted inside: updated in place so edits show. */
  readonly resolvConfCopy: string;
  readonly nsswitchConfCopy: string;
  /** Mounted over /run/nscd inside, hiding the host's nscd socket. */
  readonly nscdDir: string;
  /** The administrator's per-namespace files, as `ip netns exec` uses them. */
  readonly etcDir: string;
  readonly resolvConf: string;
  readonly nsswitchConf: string;
  /** Serialises first use of NAME; never deleted, so a lock file cannot be swapped under a waiter. */
  readonly lockFile: string;
}

export const NETNS_DIR = '/run/netns';
export const LOCK_DIR = '/run/lock/netns-run';

export function pathsFor(name: string): NamespacePaths {
  const stateDir = `/run/netns-${name}`;
  const etcDir = `/etc/netns/${name}`;
  return {
    name,
    netns: `${NETNS_DIR}/${name}`,
    stateDir,
    mntns: `${stateDir}/mntns`,
    mntnsFor: `${stateDir}/mntns.for`,
    covers: `${stateDir}/covers`,
    createdMarker: `${stateDir}/created-netns`,
    resolvConfCopy: `${stateDir}/resolv.conf`,
    nsswitchConfCopy: `${stateDir}/nsswitch.conf`,
    nscdDir: `${stateDir}/nscd`,
    etcDir,
    resolvConf: `${etcDir}/resolv.conf`,
    nsswitchConf: `${etcDir}/nsswitch.conf`,
    lockFile: `${LOCK_DIR}/${name}.lock`,
  };
}
