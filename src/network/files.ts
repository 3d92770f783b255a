// What NAME's network is on disk, as every run reads it: which WireGuard
// files /etc/netns-run/NAME/ holds, and the records of the interfaces
// netns-run made. Small and free of parsing on purpose: it is the part of
// the network the warm path loads (ensure/inspect.ts); reading a file's
// contents, making and reporting tunnels live in the set-up chunk
// (docs/development.md, "The warm path and the set-up chunk").
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { NetnsRunError } from '../errors.js';
import { CONFIG_DIR, type NamespacePaths } from '../name.js';
import { checkDirectories } from '../trust.js';

/** A small file netns-run wrote, or '' where there is none (a crash may have cut it short: callers check its shape). */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Reserved for the namespace's other network settings (issue 14): never a WireGuard file. */
export const NETWORK_CONF = 'network.conf';

/** What wg-quick accepts as an interface name, minus a leading '-' (it would read as an option). */
export const INTERFACE_NAME_PATTERN = /^[A-Za-z0-9_=+.][A-Za-z0-9_=+.-]{0,14}$/;

export function isInterfaceName(name: string): boolean {
  return INTERFACE_NAME_PATTERN.test(name) && name !== '.' && name !== '..';
}

/** What netns-run writes from a tunnel's DNS = begins with this; an administrator's own file does not. */
export const FROM_TUNNEL_HEADER = '# Made by netns-run from DNS = in ';

/** The interface names of the IFNAME.conf files in DIR, sorted; refuses a *.conf whose name is no interface name. A few stat calls and a readdir: cheap enough for the warm path. */
export function wireGuardFiles(dir: string): string[] {
  // /etc/netns-run as well: whoever can write it can swap NAME's directory.
  if (checkDirectories([CONFIG_DIR, dir]) === 'missing') return [];
  const names: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (!entry.endsWith('.conf') || entry === NETWORK_CONF) continue;
    const ifname = entry.slice(0, -'.conf'.length);
    if (!isInterfaceName(ifname)) {
      throw new NetnsRunError(`${dir}/${entry}: the name before .conf must be an interface name (letters, digits, _ = + . -, at most 15 characters); rename it`);
    }
    names.push(ifname);
  }
  return names;
}

/** Where WireGuard state of NAME lives (inside its state directory, so --down and the lock cover it). */
export interface WireGuardPaths {
  /** Bound at /var/run/wireguard for `wg`: IFNAME.sock symlinks, and IFNAME.made records. */
  readonly view: string;
  /** Bound at /var/run/wireguard for each wireguard-go of NAME: the real TMP.sock sockets. */
  readonly sockets: string;
}

export function wireGuardPaths(paths: NamespacePaths): WireGuardPaths {
  return { view: `${paths.stateDir}/wireguard`, sockets: `${paths.stateDir}/wireguard-go` };
}

/** What netns-run made for one interface, so that --down and repair remove exactly that. */
export interface MadeRecord {
  readonly kind: 'kernel' | 'userspace';
  readonly interfaceName: string;
  /** The name it was made under in the host. */
  readonly temporaryName: string;
  /** wireguard-go's PID and start time (/proc/PID/stat field 22): a PID alone may be reused. */
  readonly pid?: number;
  readonly startTime?: string;
  /** The network namespace it was made in (inspect.ts's namespaceId): a recreated one has none of it. */
  readonly netnsId?: string;
  /** Written once the interface is up inside: a record without it is what a crash left. */
  readonly complete?: boolean;
  /** The digest of the file it was made from. */
  readonly fingerprint?: string;
}

/** Random, so that no host interface (wg0 or another netns-run's) is ever touched; at most 15 characters. */
export const TEMPORARY_NAME = /^nrwg-[0-9a-f]{8}$/;

export function recordPath(wg: WireGuardPaths, ifname: string): string {
  return `${wg.view}/${ifname}.made`;
}

export function readRecords(wg: WireGuardPaths): MadeRecord[] {
  // Most namespaces have no tunnel: asked first, since a thrown ENOENT costs
  // more than the call (--list asks once a namespace); access(2), as no
  // Stats object is needed.
  if (!existsSync(wg.view)) return [];
  let entries: string[];
  try {
    entries = readdirSync(wg.view);
  } catch {
    return [];
  }
  const records: MadeRecord[] = [];
  for (const entry of entries.filter((e) => e.endsWith('.made')).sort()) {
    try {
      const parsed = JSON.parse(readFileSync(`${wg.view}/${entry}`, 'utf8')) as MadeRecord;
      // Its names become paths and ip arguments: only the shapes netns-run writes.
      if (typeof parsed.interfaceName === 'string' && isInterfaceName(parsed.interfaceName) && typeof parsed.temporaryName === 'string' && TEMPORARY_NAME.test(parsed.temporaryName)) {
        records.push(parsed);
      }
    } catch {
      // A record cut short by a crash: what it named is found by the temporary name's pattern on repair.
    }
  }
  return records;
}

/** Which of NAME's interfaces (by name) stand made in the namespace whose id is NETNSID: complete records for that very namespace. */
export function madeInterfaces(paths: NamespacePaths, netnsId: string): Set<string> {
  return new Set(readRecords(wireGuardPaths(paths)).filter((r) => r.complete === true && r.netnsId === netnsId).map((r) => r.interfaceName));
}
