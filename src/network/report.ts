// What --status and --list say about a namespace's tunnels: which the files
// ask for, which netns-run made for the namespace as it is now, and, for
// root (only root may read the key files and enter the namespace), what the
// kernel has and where it differs from the file. No key but public ones.

import { namespaceId } from '../ensure/inspect.js';
import type { NamespacePaths } from '../name.js';
import { cidrText, network, parseCidr } from './address.js';
import { loadNetworkConfig } from './config.js';
import { madeInterfaces, wireGuardFiles } from './files.js';
import type { WireGuardSpec } from './wg-quick.js';
import { findTunnelTools, inspectTunnel, type TunnelFacts } from './wireguard.js';

export interface TunnelReport {
  readonly interfaceName: string;
  /** The file it is made from (which may be gone). */
  readonly file: string;
  /** made: standing in the namespace as it is now; missing: asked for, and the next run or --ensure makes it. */
  readonly state: 'made' | 'missing';
  /** What the kernel has now: root only. */
  readonly live?: TunnelFacts;
  /** Where the live interface differs from its file (root only); empty when it matches. */
  readonly differences?: readonly string[];
}

export interface NetworkReport {
  readonly configDir: string;
  readonly tunnels: readonly TunnelReport[];
  /** Why the files could not be read or checked (a run would refuse them too). */
  readonly problem?: string;
  /** Why they are not shown to this caller (the directory is root's alone): not a problem, a run reads them as root. */
  readonly hidden?: string;
}

/** A CIDR as its network, in canonical text; the text itself where it is no CIDR. */
function canonical(text: string): string {
  const cidr = parseCidr(text);
  return cidr === undefined ? text : cidrText(network(cidr));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  return a.length === b.length && b.every((item) => left.has(item));
}

/** Where LIVE differs from SPEC, in words: pure. */
export function differences(spec: WireGuardSpec, live: TunnelFacts): string[] {
  const found: string[] = [];
  if (!live.up) found.push('it is down');
  const wanted = spec.addresses.map(cidrText);
  if (!sameSet(wanted, live.addresses)) found.push(`addresses ${live.addresses.join(' ') || 'none'}, the file says ${wanted.join(' ')}`);
  if (spec.mtu !== undefined && live.mtu !== spec.mtu) found.push(`MTU ${live.mtu}, the file says ${spec.mtu}`);
  if (spec.listenPort !== undefined && spec.listenPort !== 0 && live.listenPort !== spec.listenPort) found.push(`listen port ${live.listenPort}, the file says ${spec.listenPort}`);
  const livePeers = new Map(live.peers.map((peer) => [peer.publicKey, peer]));
  for (const peer of spec.peers) {
    const there = livePeers.get(peer.publicKey);
    const short = `peer ${peer.publicKey.slice(0, 8)}...`;
    if (there === undefined) {
      found.push(`${short} is missing`);
      continue;
    }
    livePeers.delete(peer.publicKey);
    const allowed = peer.allowedIPs.map((cidr) => cidrText(network(cidr)));
    if (!sameSet(allowed, there.allowedIPs.map(canonical))) found.push(`${short} allows ${there.allowedIPs.join(',') || 'nothing'}, the file says ${allowed.join(',')}`);
    const endpoint = peer.endpoint;
    if (endpoint !== undefined && endpoint.family !== 'name') {
      const text = endpoint.family === 6 ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
      if (there.endpoint !== text) found.push(`${short} at ${there.endpoint}, the file says ${text}`);
    }
  }
  for (const extra of livePeers.keys()) found.push(`peer ${extra.slice(0, 8)}... is not in the file`);
  return found;
}

/**
 * The tunnels of NAME. Without detail (--list, or a caller who is not
 * root): names and whether they stand, from netns-run's own records, no
 * helper run. With detail: what the kernel has, and how it compares.
 */
export function describeTunnels(paths: NamespacePaths, detail: boolean, id = namespaceId(paths.netns), files?: readonly string[]): NetworkReport {
  let asked: readonly string[];
  try {
    asked = files ?? wireGuardFiles(paths.configDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EACCES') return { configDir: paths.configDir, tunnels: [], hidden: `only root may read ${paths.configDir}` };
    return { configDir: paths.configDir, tunnels: [], problem: (error as Error).message };
  }
  const made = id === undefined ? new Set<string>() : madeInterfaces(paths, id);
  const names = [...new Set([...asked, ...made])].sort();
  const tunnels: TunnelReport[] = names.map((ifname) => ({ interfaceName: ifname, file: `${paths.configDir}/${ifname}.conf`, state: made.has(ifname) ? 'made' : 'missing' }));
  if (!detail || id === undefined || tunnels.length === 0) return { configDir: paths.configDir, tunnels };
  try {
    const specs = new Map(loadNetworkConfig(paths).interfaces.map((spec) => [spec.interfaceName, spec]));
    const tools = findTunnelTools();
    const detailed = tunnels.map((tunnel): TunnelReport => {
      const live = inspectTunnel(paths, tunnel.interfaceName, tools);
      const spec = specs.get(tunnel.interfaceName);
      const found = live === undefined ? (tunnel.state === 'made' ? ['it is gone from the namespace'] : []) : spec === undefined ? ['its file is gone'] : differences(spec, live);
      return { ...tunnel, ...(live !== undefined ? { live } : {}), differences: found };
    });
    return { configDir: paths.configDir, tunnels: detailed };
  } catch (error) {
    return { configDir: paths.configDir, tunnels, problem: (error as Error).message };
  }
}

/** "12 s ago", "never". */
function since(epochSeconds: number, now: number): string {
  if (epochSeconds === 0) return 'never';
  const seconds = Math.max(0, Math.round(now / 1000 - epochSeconds));
  return seconds < 120 ? `${seconds} s ago` : seconds < 7200 ? `${Math.round(seconds / 60)} min ago` : `${Math.round(seconds / 3600)} h ago`;
}

/** One line a tunnel, for --status. */
export function formatTunnel(tunnel: TunnelReport, now = Date.now()): string {
  if (tunnel.state === 'missing' && tunnel.live === undefined) return `${tunnel.interfaceName}: not made yet; the next run or --ensure makes it from ${tunnel.file}`;
  const live = tunnel.live;
  const facts = live === undefined
    ? 'made'
    : [
        `${live.up ? 'up' : 'down'} ${live.addresses.join(' ')}`.trim(),
        ...live.peers.map((peer) => `peer ${peer.publicKey.slice(0, 8)}... at ${peer.endpoint}, handshake ${since(peer.latestHandshake, now)}`),
      ].join('; ');
  const verdict = tunnel.differences === undefined ? '' : tunnel.differences.length === 0 ? `; matches ${tunnel.file}` : `; differs from ${tunnel.file} (netns-run --ensure makes it match): ${tunnel.differences.join('; ')}`;
  return `${tunnel.interfaceName}: ${facts}${verdict}`;
}

/** The TUNNELS cell of --list: each interface, marked where it is not made yet. */
export function tunnelsCell(report: NetworkReport): string {
  if (report.problem !== undefined) return 'refused';
  if (report.hidden !== undefined) return '?';
  if (report.tunnels.length === 0) return '-';
  return report.tunnels.map((tunnel) => (tunnel.state === 'made' ? tunnel.interfaceName : `${tunnel.interfaceName}(missing)`)).join(',');
}
