import { lstatSync, readFileSync, readlinkSync, statfsSync, statSync, type BigIntStats } from 'node:fs';
import type { MadeCoverKey, NamespacePaths } from '../name.js';
import { madeInterfaces, readText, wireGuardFiles } from '../network/files.js';
import type { NamespaceFacts } from './plan.js';
import { hasDeadForward } from '../network/forward-records.js';
import { hasDeadNscd } from '../network/nscd-record.js';

/** statfs(2) f_type of the nsfs filesystem: what a bound /proc/PID/ns/* file shows. */
const NSFS_MAGIC = 0x6e736673;

export function isNamespaceMount(path: string): boolean {
  try {
    return statfsSync(path).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

/**
 * Names a namespace, to tie the mount namespace to it. The kernel hands a
 * freed namespace's inode number to the next one, so dev:ino alone would
 * take a recreated namespace for the old one; nsfs stamps the inode's ctime
 * when it is made, and the mount keeps that inode, so the three together
 * stay the same exactly as long as the namespace does.
 */
export function namespaceId(path: string, nsfs?: bigint): string | undefined {
  if (nsfs === undefined && !isNamespaceMount(path)) return undefined;
  const st = statOf(path);
  if (st === undefined || (nsfs !== undefined && st.dev !== nsfs)) return undefined;
  return `${st.dev}:${st.ino}:${st.ctimeNs}`;
}

function statOf(path: string): BigIntStats | undefined {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * The device of nsfs, which holds every namespace file: the kernel mounts
 * it once, so a file on that device is a namespace, as statfs's f_type
 * says, and the one stat(2) that gives the id tells that too. --list reads
 * it once for all namespaces (namespaceId's nsfs); undefined where /proc
 * does not say, and then statfs judges each.
 */
export function nsfsDevice(): bigint | undefined {
  try {
    const st = statSync('/proc/self/ns/net', { bigint: true });
    return statfsSync('/proc/self/ns/net').type === NSFS_MAGIC ? st.dev : undefined;
  } catch {
    return undefined;
  }
}

/** Mount points of this process's mount namespace, from /proc/self/mountinfo (field 5, octal-escaped). */
export function mountPoints(): Set<string> {
  const points = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.add(field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  }
  return points;
}

/** "dev:ino" of what a host path leads to now, or "missing". */
export function hostIdentity(path: string): string {
  try {
    // A host without /run/nscd is common: no exception for it (throwIfNoEntry).
    const st = statSync(path, { bigint: true, throwIfNoEntry: false });
    return st === undefined ? 'missing' : `${st.dev}:${st.ino}`;
  } catch {
    return 'missing';
  }
}

/** The covers record: one "PATH IDENTITY" line each. */
export function coversRecord(paths: NamespacePaths): string {
  return paths.covered.map(({ host }) => `${host} ${hostIdentity(host)}\n`).join('');
}

/** Is every interface /etc/netns-run/NAME asks for made in the namespace NETNSID? Two stat calls when nothing is asked for. */
function tunnelsFact(paths: NamespacePaths, netnsId: string | undefined): NamespaceFacts['tunnels'] {
  const wanted = wireGuardFiles(paths.configDir);
  if (wanted.length === 0) return 'none';
  if (netnsId === undefined) return 'missing';
  const made = madeInterfaces(paths, netnsId);
  return wanted.every((ifname) => made.has(ifname)) ? 'made' : 'missing';
}

/** Is network.conf applied to the namespace NETNSID? A stat and a small read; a file removed since is --ensure's to take back. */
function networkConfFact(paths: NamespacePaths, netnsId: string | undefined): NamespaceFacts['networkConf'] {
  const madeFor = readText(paths.networkMade).split(' ')[0];
  const appliedHere = netnsId !== undefined && madeFor === netnsId;
  if (!exists(paths.networkConf)) return appliedHere ? 'made' : 'none';
  return appliedHere ? 'made' : 'missing';
}

/**
 * Whether NAME's network namespace and kept mount namespace stand: all a
 * report (--list, --status) needs of inspect(). stateDir false: the caller
 * knows NAME has no state directory, so no mount namespace to look for.
 */
export function namespaceState(paths: NamespacePaths, netnsId = namespaceId(paths.netns), stateDir = true): Pick<NamespaceFacts, 'netns' | 'mntns'> {
  const netns = netnsId !== undefined ? 'mounted' : exists(paths.netns) ? 'stale' : 'missing';
  if (!stateDir) return { netns, mntns: 'missing' };
  if (isNamespaceMount(paths.mntns)) return { netns, mntns: netnsId !== undefined && recordedFor(paths) === netnsId ? 'current' : 'stale' };
  return { netns, mntns: exists(paths.mntns) ? 'stale' : 'missing' };
}

/** Reads the state of NAME. The warm path costs a handful of stat calls and two small reads. */
export function inspect(paths: NamespacePaths): NamespaceFacts {
  const netnsId = namespaceId(paths.netns);
  const tunnels = tunnelsFact(paths, netnsId);
  const networkConf = networkConfFact(paths, netnsId);
  // A readdir of a directory that is mostly absent: what a run pays to notice a dead forward.
  const deadForwards = networkConf === 'made' && hasDeadForward(paths);
  const deadNscd = networkConf === 'made' && hasDeadNscd(paths);
  const { netns, mntns } = namespaceState(paths, netnsId);
  const now = new Map(paths.covered.map(({ host }) => [host, hostIdentity(host)]));
  const hostFacts = { missingHostPaths: paths.covered.filter(({ host, kind }) => kind !== 'optional-directory' && now.get(host) === 'missing').map(({ key }) => key as MadeCoverKey) };
  const resolvConf = exists(paths.resolvConf);
  const nsswitchConf = exists(paths.nsswitchConf);
  if (mntns === 'current') {
    const recorded = new Map(readText(paths.covers).split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string]));
    const replacedCovers = [...now].filter(([host, id]) => recorded.get(host) !== id).map(([host]) => host);
    // Nothing below matters on the warm path; skip reading the mount table.
    return { netns, stateRoot: 'mounted', mntns, resolvConf, nsswitchConf, ...hostFacts, replacedCovers, tunnels, networkConf, deadForwards, deadNscd };
  }
  const stateRoot = mountPoints().has(paths.stateRoot) ? 'mounted' : 'unmounted';
  return { netns, stateRoot, mntns, resolvConf, nsswitchConf, ...hostFacts, replacedCovers: [], tunnels, networkConf, deadForwards, deadNscd };
}

/** mntns.for: the network namespace the mount namespace was made for, then the mount namespace it was bound from. */
export function mntnsRecord(netnsId: string | undefined): string {
  return `${netnsId}\n${readlinkSync('/proc/self/ns/mnt')}\n`;
}

function recordedFor(paths: NamespacePaths): string | undefined {
  return readText(paths.mntnsFor).split('\n')[0];
}

/**
 * Is the mount namespace kept, for this very network namespace, but in a
 * mount namespace other than ours? A systemd service with PrivateTmp=,
 * ProtectSystem= and the like runs in a copy of the host's mount table,
 * and the kernel leaves nsfs binds of mount namespaces out of every copy:
 * there mntns is the plain file under the bind. Only the record written
 * when it was bound (mntnsRecord) tells that apart from a mntns someone
 * unmounted in our own namespace, which is stale and made again.
 */
export function keptElsewhere(paths: NamespacePaths): boolean {
  const netnsId = namespaceId(paths.netns);
  if (netnsId === undefined || isNamespaceMount(paths.mntns) || !exists(paths.mntns)) return false;
  const [forNet, boundFrom] = readText(paths.mntnsFor).split('\n');
  if (forNet !== netnsId || !boundFrom) return false;
  try {
    return boundFrom !== readlinkSync('/proc/self/ns/mnt');
  } catch {
    return false;
  }
}

/** Did netns-run make the network namespace at paths.netns? Only if its marker names this very one: a recreated namespace is someone else's. */
export function madeByNetnsRun(paths: NamespacePaths, id = namespaceId(paths.netns)): boolean {
  return id !== undefined && readText(paths.createdMarker).trim() === id;
}

/**
 * What a crash of `ip netns add`, or an unmount, leaves at /run/netns/NAME:
 * an empty regular file. Only that is ever removed without --force.
 */
export function isCrashLeftover(path: string): boolean {
  const st = lstatSync(path, { throwIfNoEntry: false });
  return st !== undefined && st.isFile() && st.size === 0;
}
