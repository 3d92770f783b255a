// Making and removing the links of network.conf: veth pairs (to the host or
// to another namespace), macvlans on a host interface, dummies, their
// addresses and routes, and for a masqueraded veth, or a [Forward] carried
// by DNAT over a veth (forward-route.ts), the NAT table and the IPv4
// forwarding switches on the host: one table, one record, one removal.
//
// A veth is made by one `ip link add` that puts its inside end straight into
// NAME under its final name, so nothing of it ever stands on the host under
// a name someone else may use; a macvlan must be made beside its parent, so
// it is made under a random name (nrlm-XXXXXXXX), moved in and renamed, as
// the WireGuard interfaces are. Every thing is written to the record
// (NAME's state directory, network/links.json) before it exists, pushed on
// the undo log once it does, and --down removes what the record names,
// whatever the file says by then.
//
// Forwarding: the kernel forwards an IPv4 packet only if the interface it
// came IN by has forwarding on, so a masqueraded link needs it on its host
// end (the namespace's packets) and on the uplink (the replies). Both are
// switched per interface, never net.ipv4.ip_forward; what each was before is
// recorded and put back on --down. IPv6 has only the host-wide switch, which
// is touched only with HostIPv6Forwarding=yes.

import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { writeRecordFile } from './state-record.js';
import { randomHex, sha256 } from './digest.js';
import { NetnsRunError } from '../errors.js';
import { failed, helperSucceeds, runHelper, tryHelper } from '../helpers.js';
import type { NamespacePaths } from '../name.js';
import { NETNS_DIR, STATE_ROOT } from '../name.js';
import { namespaceId } from '../ensure/inspect.js';
import { withHostLock } from '../ensure/lock.js';
import { findTool, findTools } from '../tools.js';
import { cidrText, network, type Cidr } from './address.js';
import type { LinkSpec, MacvlanSpec, RouteSpec, VethSpec } from './conf/links.js';
import type { NetworkSetup, NetworkTeardown } from './context.js';
import { endpointText, type ForwardSpec } from './conf/forwards.js';
import { dnatRules, forwardRoute, type DnatForward } from './forward-route.js';
import type { NetworkConf } from './network-conf.js';
import type { Rollback } from './wireguard.js';

/** One thing a link made, as --down needs to find it again. */
export interface MadeLink {
  readonly kind: 'veth' | 'macvlan' | 'dummy';
  /** Its name inside NAME. */
  readonly name: string;
  /** The other end of a veth, in the host or in peerNamespace. */
  readonly peer?: string;
  readonly peerNamespace?: string;
  /** A macvlan's name on the host until it is moved in. */
  readonly temporary?: string;
}

/** A sysctl of the host's that netns-run changed: put back on --down if it still holds what was set. */
export interface SysctlChange {
  /** /proc/sys/... */
  readonly path: string;
  readonly before: string;
  readonly set: string;
}

export interface LinksRecord {
  /** The network namespace the links were made in. */
  readonly netnsId: string;
  readonly links: readonly MadeLink[];
  /** The host's nftables table of NAME's masquerade and DNAT rules: "inet netns-run-NAME". */
  readonly natTable?: string;
  readonly sysctls: readonly SysctlChange[];
  /** Written once everything stands. */
  readonly complete?: boolean;
}

const TEMPORARY_NAME = /^nrlm-[0-9a-f]{8}$/;

function recordPath(paths: Pick<NamespacePaths, 'networkState'>): string {
  return `${paths.networkState}/links.json`;
}

function writeRecord(paths: Pick<NamespacePaths, 'networkState'>, record: LinksRecord): void {
  writeRecordFile(recordPath(paths), record, 0o644);
}

const SAFE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** The record, if there is one; names that are not shapes netns-run writes are dropped (they become ip arguments). */
export function readLinksRecord(paths: Pick<NamespacePaths, 'networkState'>): LinksRecord | undefined {
  let parsed: LinksRecord;
  try {
    parsed = JSON.parse(readFileSync(recordPath(paths), 'utf8')) as LinksRecord;
  } catch {
    return undefined;
  }
  const ok = (name: unknown) => name === undefined || (typeof name === 'string' && SAFE_NAME.test(name));
  return {
    netnsId: String(parsed.netnsId),
    links: (Array.isArray(parsed.links) ? parsed.links : []).filter((l) => ok(l.name) && ok(l.peer) && (l.temporary === undefined || TEMPORARY_NAME.test(l.temporary)) && (l.peerNamespace === undefined || /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(l.peerNamespace))),
    ...(typeof parsed.natTable === 'string' && /^inet netns-run-[A-Za-z0-9_.-]+$/.test(parsed.natTable) ? { natTable: parsed.natTable } : {}),
    sysctls: (Array.isArray(parsed.sysctls) ? parsed.sysctls : []).filter((s) => typeof s.path === 'string' && /^\/proc\/sys\/net\/ipv[46]\/conf\/[A-Za-z0-9_.-]{1,15}\/forwarding$/.test(s.path) && typeof s.before === 'string' && typeof s.set === 'string'),
    ...(parsed.complete === true ? { complete: true } : {}),
  };
}

/** The host end's name when PeerName= is not given: stable for NAME and the link, 15 characters, netns-run's prefix. */
export function defaultPeerName(namespace: string, link: string): string {
  return `nr${sha256(`${namespace}/${link}`).slice(0, 13)}`;
}

export function peerNameOf(namespace: string, spec: VethSpec): string {
  return spec.peerName ?? defaultPeerName(namespace, spec.name);
}

/** The nftables table of NAME's masquerade and DNAT rules on the host. */
export function natTableOf(namespace: string): string {
  return `inet netns-run-${namespace}`;
}

function forwardingPath(family: 4 | 6, ifname: string): string {
  return `/proc/sys/net/ipv${family}/conf/${ifname}/forwarding`;
}

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function linkKind(ip: string, args: readonly string[]): string | undefined | null {
  const shown = tryHelper(ip, ['-j', '-d', ...args]);
  if (failed(shown)) return null;
  const [link] = JSON.parse(shown.stdout || '[]') as { linkinfo?: { info_kind?: string } }[];
  return link?.linkinfo?.info_kind;
}

function exists(ip: string, netnsArgs: readonly string[], ifname: string): boolean {
  return helperSucceeds(ip, [...netnsArgs, 'link', 'show', 'dev', ifname]);
}

/** An `ip -batch` in NETNS (or the host); the first line ip names as failed, said in one line. */
function batch(ip: string, netnsArgs: readonly string[], lines: readonly string[], doing: string): void {
  if (lines.length === 0) return;
  const outcome = tryHelper(ip, [...netnsArgs, '-batch', '-'], { input: `${lines.join('\n')}\n` });
  if (!failed(outcome)) return;
  const failedLine = Number(/Command failed -:(\d+)/.exec(outcome.stderr)?.[1] ?? 0);
  const why = outcome.stderr.trim().split('\n').find((line) => line.trim() !== '' && !line.startsWith('Command failed'))?.trim().replace(/^Error: /, '') ?? 'ip failed';
  throw new NetnsRunError(`${doing} failed at \`ip ${lines[failedLine - 1] ?? ''}\`: ${why}`);
}

function addressLines(dev: string, spec: { mtu?: number; macAddress?: string; addresses: readonly Cidr[] }): string[] {
  const lines: string[] = [];
  if (spec.mtu !== undefined) lines.push(`link set dev ${dev} mtu ${spec.mtu}`);
  if (spec.macAddress !== undefined) lines.push(`link set dev ${dev} address ${spec.macAddress}`);
  // No duplicate address detection: the other end is ours, and DAD would hold IPv6 back ~2 s.
  for (const address of spec.addresses) lines.push(`address add ${cidrText(address)} dev ${dev}${address.family === 6 ? ' nodad' : ''}`);
  lines.push(`link set dev ${dev} up`);
  return lines;
}

export function routeLines(links: readonly LinkSpec[], routes: readonly RouteSpec[]): string[] {
  const lines: string[] = [];
  // No -6 in a batch line: the family is that of the destination, so a default route is written 0.0.0.0/0 or ::/0.
  const anywhere = (family: 4 | 6) => (family === 6 ? '::/0' : '0.0.0.0/0');
  for (const link of links) for (const gateway of link.gateways) lines.push(`route add ${anywhere(gateway.family)} via ${gateway.address} dev ${link.name}`);
  for (const route of routes) {
    const destination = route.destination === 'default' ? anywhere(route.family) : cidrText(network(route.destination));
    const parts = [`route add ${destination}`];
    if (route.gateway !== undefined) parts.push(`via ${route.gateway}`);
    if (route.device !== undefined) parts.push(`dev ${route.device}`);
    if (route.metric !== undefined) parts.push(`metric ${route.metric}`);
    lines.push(parts.join(' '));
  }
  return lines;
}

/**
 * NAME's table on the host: the masquerade of links with Masquerade=yes
 * (what leaves by any interface but the link itself, from the namespace's
 * own networks) and the DNAT of forwards carried over a veth (forward-route.ts).
 */
export function natRuleset(table: string, links: readonly VethSpec[], forwards: readonly DnatForward[] = []): string {
  const rules = links.flatMap((link) => {
    const peer = link.peerName!;
    return ([4, 6] as const).flatMap((family) => {
      const nets = [...new Set(link.addresses.filter((a) => a.family === family).map((a) => cidrText(network(a))))];
      if (nets.length === 0) return [];
      return [`    ${family === 4 ? 'ip' : 'ip6'} saddr { ${nets.join(', ')} } oifname != "${peer}" masquerade`];
    });
  });
  const dnat = dnatRules(forwards);
  const chain = (name: string, hook: string, priority: string, lines: readonly string[]) =>
    lines.length === 0 ? [] : [`  chain ${name} {`, `    type nat hook ${hook} priority ${priority}; policy accept;`, ...lines, '  }'];
  // Several lines: nft 1.0.6 refuses a one-line ruleset ending "; } }". It knows "dstnat" only in prerouting: output gets its number, -100.
  return [
    `table ${table} {`, '}', `flush table ${table}`, `table ${table} {`,
    ...chain('prerouting', 'prerouting', 'dstnat', dnat.dnat),
    ...chain('output', 'output', '-100', dnat.dnat),
    ...chain('postrouting', 'postrouting', 'srcnat', [...rules, ...dnat.postrouting]),
    '}', '',
  ].join('\n');
}

/** The forwards of CONF carried by DNAT over a [Veth] of NAME's (forward-route.ts), with the host end each leaves by. */
export function dnatForwardsOf(conf: Pick<NetworkConf, 'forwards' | 'links'>, namespace: string): (DnatForward & { readonly spec: ForwardSpec; readonly link: VethSpec })[] {
  return conf.forwards.flatMap((spec) => {
    const route = forwardRoute(spec, conf.links);
    return route.kind === 'dnat' ? [{ spec, link: route.link, peer: peerNameOf(namespace, route.link) }] : [];
  });
}

/**
 * The host interface that has the Listen= address of a DNAT forward. A rule
 * for an address the host lacks would never match the host's own clients
 * and would take over packets only passing through: refused, as bind(2)
 * refuses it for a proxy.
 */
function listenDevice(ip: string, spec: ForwardSpec, file: string): string {
  const { family, address } = spec.listen;
  const shown = JSON.parse(runHelper(ip, ['-j', `-${family}`, 'address', 'show', 'to', `${address}/${family === 4 ? 32 : 128}`], `looking for ${address} on the host`) || '[]') as { ifname?: string }[];
  const dev = shown.find((link) => link.ifname !== undefined)?.ifname;
  if (dev === undefined || !SAFE_NAME.test(dev)) throw new NetnsRunError(`${file}:${spec.line}: Listen=${endpointText(spec.listen)} is no address of the host's; a forward listens on an address the host has (ip address)`);
  return dev;
}

/** The interface of the host's IPv4 default route, where replies to masqueraded traffic come in. */
function defaultUplink(ip: string, spec: VethSpec, file: string): string {
  const shown = JSON.parse(runHelper(ip, ['-4', '-j', 'route', 'show', 'default'], 'reading the host\'s default route') || '[]') as { dev?: string }[];
  const dev = shown.find((route) => route.dev !== undefined)?.dev;
  if (dev === undefined || !SAFE_NAME.test(dev)) throw new NetnsRunError(`${file}:${spec.line}: Masquerade=yes needs Uplink= here: the host has no IPv4 default route to learn it from`);
  return dev;
}

/**
 * Makes every link of the file in NAME, with addresses, routes, NAT and
 * forwarding. All or nothing through UNDO; recorded for --down.
 */
export function makeLinks(setup: NetworkSetup): void {
  const { paths, conf, undo } = setup;
  // What an older namespace, a crash or the file before an edit left (a NAT table, forwarding switches), even if the file now has no links.
  if (readLinksRecord(paths) !== undefined) removeLinks({ paths, notes: [] });
  if (conf.links.length === 0 && conf.routes.length === 0) return;
  const netnsId = namespaceId(paths.netns);
  if (netnsId === undefined) throw new NetnsRunError(`${paths.netns} is no network namespace; cannot put links in it`);
  const ip = findTool('ip');
  const inside = ['-n', paths.name];
  makeStateDir(paths.networkState, undo);
  let record: LinksRecord = { netnsId, links: [], sysctls: [] };
  const save = (next: LinksRecord) => {
    record = next;
    writeRecord(paths, record);
  };
  save(record);
  undo.push(`remove ${recordPath(paths)}`, () => rmSync(recordPath(paths), { force: true }));
  const vethsToHost: VethSpec[] = [];
  for (const spec of conf.links) {
    const where = `[${spec.kind === 'veth' ? 'Veth' : spec.kind === 'macvlan' ? 'Macvlan' : 'Dummy'}] at ${conf.file}:${spec.line}`;
    if (exists(ip, inside, spec.name)) throw new NetnsRunError(`${paths.name} already has an interface ${spec.name} that netns-run did not make; remove it, or change Name= of the ${where}`);
    if (spec.kind === 'veth') {
      const peer = peerNameOf(paths.name, spec);
      const withPeer: VethSpec = { ...spec, peerName: peer };
      if (spec.peerNamespace !== undefined) makeVethToNamespace(withPeer, paths.name, ip, where, record, save, undo);
      else {
        makeVethToHost(withPeer, paths.name, ip, where, record, save, undo);
        vethsToHost.push(withPeer);
      }
    } else if (spec.kind === 'macvlan') {
      makeMacvlan(spec, paths.name, ip, where, record, save, undo);
    } else {
      save({ ...record, links: [...record.links, { kind: 'dummy', name: spec.name }] });
      const made = tryHelper(ip, [...inside, 'link', 'add', spec.name, 'type', 'dummy']);
      if (failed(made)) {
        if (/Unknown device type|Operation not supported/.test(made.stderr)) throw new NetnsRunError(`${where}: this kernel has no dummy interfaces (module dummy); remove the [Dummy] or load the module`);
        throw new NetnsRunError(`making dummy ${spec.name} in ${paths.name} failed: ${made.stderr.trim().replace(/^Error: /, '')}`);
      }
      undo.push(`delete ${spec.name} in ${paths.name}`, () => helperSucceeds(ip, [...inside, 'link', 'delete', 'dev', spec.name]));
    }
    batch(ip, inside, addressLines(spec.name, spec), `setting up ${spec.name} in ${paths.name} (${where})`);
  }
  const masqueraded = vethsToHost.filter((spec) => spec.masquerade);
  const dnat = dnatForwardsOf(conf, paths.name);
  if (masqueraded.length > 0 || dnat.length > 0) {
    const nft = findTool('nft');
    const table = natTableOf(paths.name);
    const changes: { path: string; why: string }[] = [];
    for (const spec of masqueraded) {
      changes.push({ path: forwardingPath(4, spec.peerName!), why: `the host end of ${spec.name}` });
      changes.push({ path: forwardingPath(4, spec.uplink ?? defaultUplink(ip, spec, conf.file)), why: `the uplink of ${spec.name}` });
      if (spec.hostIPv6Forwarding) changes.push({ path: '/proc/sys/net/ipv6/conf/all/forwarding', why: 'HostIPv6Forwarding=yes' });
    }
    // A client elsewhere comes in by the interface of the Listen= address and is forwarded out by the host end: IPv4 forwards only what both allow.
    for (const { spec, peer, link } of dnat) {
      const device = listenDevice(ip, spec, conf.file);
      if (spec.listen.family === 4) {
        changes.push({ path: forwardingPath(4, peer), why: `the host end of ${link.name}` });
        changes.push({ path: forwardingPath(4, device), why: `the interface of ${endpointText(spec.listen)}` });
      } else if (link.hostIPv6Forwarding) changes.push({ path: '/proc/sys/net/ipv6/conf/all/forwarding', why: 'HostIPv6Forwarding=yes' });
    }
    // Under the host's lock: another namespace's --down may at this moment be deciding whether any record still needs a switch on.
    const flock = findTool('flock');
    withHostLock(STATE_ROOT, flock, () => {
      for (const { path, why } of changes) {
        const before = readSysctl(path);
        if (before === undefined) throw new NetnsRunError(`cannot read ${path} (${why}): is there such an interface on the host?`);
        if (record.sysctls.some((s) => s.path === path)) continue;
        // Recorded even when it is on already: another namespace may have switched it on, and hands its "before" over when it goes.
        save({ ...record, sysctls: [...record.sysctls, { path, before, set: '1' }] });
        if (before === '1') continue;
        writeFileSync(path, '1\n');
        // As --down does: a namespace that came up meanwhile and relies on the switch takes our "before" over instead.
        undo.push(`put ${path} back to ${before}`, () =>
          withHostLock(STATE_ROOT, flock, () => handOver(paths, { path, before, set: '1' }) || writeSysctl(path, before)),
        );
      }
    });
    save({ ...record, natTable: table });
    runHelper(nft, ['-f', '-'], `loading the nftables table ${table} on the host`, { input: natRuleset(table, masqueraded, dnat) });
    undo.push(`delete table ${table}`, () => helperSucceeds(nft, ['delete', 'table', ...table.split(' ')]));
  }
  batch(ip, inside, routeLines(conf.links, conf.routes), `adding the routes of ${conf.file} in ${paths.name}`);
  save({ ...record, complete: true });
}

/** The records' directory; taken back if this call made it and it is empty again then (other parts may keep records there). */
function makeStateDir(dir: string, undo: Rollback): void {
  try {
    mkdirSync(dir, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new NetnsRunError(`cannot create ${dir}: ${(error as NodeJS.ErrnoException).code}`);
  }
  undo.push(`remove ${dir}`, () => {
    try {
      rmdirSync(dir);
    } catch {
      // Not empty: another part's records, taken back by its own undo.
    }
  });
}

function writeSysctl(path: string, value: string): boolean {
  try {
    writeFileSync(path, `${value}\n`);
    return true;
  } catch {
    return false;
  }
}

type Save = (next: LinksRecord) => void;

function makeVethToHost(spec: VethSpec, namespace: string, ip: string, where: string, record: LinksRecord, save: Save, undo: Rollback): void {
  const peer = spec.peerName!;
  if (exists(ip, [], peer)) throw new NetnsRunError(`the host already has an interface ${peer}; choose another PeerName= in the ${where}`);
  if (spec.bridge !== undefined) {
    const kind = linkKind(ip, ['link', 'show', 'dev', spec.bridge]);
    if (kind === null) throw new NetnsRunError(`the host has no bridge ${spec.bridge} (Bridge= of the ${where}); make it first`);
    if (kind !== 'bridge') throw new NetnsRunError(`${spec.bridge} on the host is no bridge (Bridge= of the ${where})`);
  }
  save({ ...record, links: [...record.links, { kind: 'veth', name: spec.name, peer }] });
  // The inside end is born in NAME under its own name: nothing of the host's is ever called that.
  // The path, not the name: ip reads a name it cannot open as a PID (a namespace called 1 would be init's).
  runHelper(ip, ['link', 'add', peer, 'type', 'veth', 'peer', 'name', spec.name, 'netns', `${NETNS_DIR}/${namespace}`], `making veth ${peer} -- ${spec.name} (${where})`);
  undo.push(`delete ${peer}`, () => helperSucceeds(ip, ['link', 'delete', 'dev', peer]));
  const host = addressLines(peer, { ...(spec.peerMtu ?? spec.mtu) !== undefined ? { mtu: (spec.peerMtu ?? spec.mtu)! } : {}, ...(spec.peerMacAddress !== undefined ? { macAddress: spec.peerMacAddress } : {}), addresses: spec.peerAddresses });
  if (spec.bridge !== undefined) host.splice(host.length - 1, 0, `link set dev ${peer} master ${spec.bridge}`);
  batch(ip, [], host, `setting up ${peer} on the host (${where})`);
}

function makeVethToNamespace(spec: VethSpec, namespace: string, ip: string, where: string, record: LinksRecord, save: Save, undo: Rollback): void {
  const other = spec.peerNamespace!;
  const peer = spec.peerName!;
  if (namespaceId(`${NETNS_DIR}/${other}`) === undefined) throw new NetnsRunError(`${NETNS_DIR}/${other} is no network namespace (PeerNamespace= of the ${where}); make it first`);
  if (exists(ip, ['-n', other], peer)) throw new NetnsRunError(`${other} already has an interface ${peer}; choose another PeerName= in the ${where}`);
  save({ ...record, links: [...record.links, { kind: 'veth', name: spec.name, peer, peerNamespace: other }] });
  runHelper(ip, ['-n', namespace, 'link', 'add', spec.name, 'type', 'veth', 'peer', 'name', peer, 'netns', `${NETNS_DIR}/${other}`], `making veth ${spec.name} -- ${other}/${peer} (${where})`);
  undo.push(`delete ${spec.name} in ${namespace}`, () => helperSucceeds(ip, ['-n', namespace, 'link', 'delete', 'dev', spec.name]));
  const mtu = spec.peerMtu ?? spec.mtu;
  batch(ip, ['-n', other], addressLines(peer, { ...(mtu !== undefined ? { mtu } : {}), ...(spec.peerMacAddress !== undefined ? { macAddress: spec.peerMacAddress } : {}), addresses: spec.peerAddresses }), `setting up ${peer} in ${other} (${where})`);
}

function makeMacvlan(spec: MacvlanSpec, namespace: string, ip: string, where: string, record: LinksRecord, save: Save, undo: Rollback): void {
  if (!exists(ip, [], spec.parent)) throw new NetnsRunError(`the host has no interface ${spec.parent} (Parent= of the ${where})`);
  const tmp = `nrlm-${randomHex(4)}`;
  save({ ...record, links: [...record.links, { kind: 'macvlan', name: spec.name, temporary: tmp }] });
  runHelper(ip, ['link', 'add', tmp, 'link', spec.parent, 'type', 'macvlan', 'mode', spec.mode], `making macvlan ${spec.name} on ${spec.parent} (${where})`);
  undo.push(`delete ${tmp}`, () => helperSucceeds(ip, ['link', 'delete', 'dev', tmp]));
  runHelper(ip, ['link', 'set', 'dev', tmp, 'netns', `${NETNS_DIR}/${namespace}`], `moving macvlan ${spec.name} into ${namespace}`);
  undo.push(`delete ${tmp} in ${namespace}`, () => helperSucceeds(ip, ['-n', namespace, 'link', 'delete', 'dev', tmp]));
  runHelper(ip, ['-n', namespace, 'link', 'set', 'dev', tmp, 'name', spec.name], `renaming macvlan ${tmp} to ${spec.name} in ${namespace}`);
  undo.push(`delete ${spec.name} in ${namespace}`, () => helperSucceeds(ip, ['-n', namespace, 'link', 'delete', 'dev', spec.name]));
}

/**
 * Another namespace's record that relies on PATH too: it takes over our
 * "before" (it saw our 1 as its own), so the last to go puts back what the
 * host had. Returns whether one did.
 */
function handOver(paths: NamespacePaths, change: SysctlChange): boolean {
  let names: string[];
  try {
    names = readdirSync(STATE_ROOT);
  } catch {
    return false;
  }
  for (const name of names) {
    if (name === paths.name) continue;
    const other = { networkState: `${STATE_ROOT}/${name}/network` };
    const record = readLinksRecord(other);
    if (record === undefined || !record.sysctls.some((s) => s.path === change.path)) continue;
    writeRecord(other, { ...record, sysctls: record.sysctls.map((s) => (s.path === change.path && s.before === change.set ? { ...s, before: change.before } : s)) });
    return true;
  }
  return false;
}

/** Removes what the record says the links made, on the host too. Never throws; notes what it could not do. */
export function removeLinks(teardown: NetworkTeardown): void {
  const { paths, notes } = teardown;
  const record = readLinksRecord(paths);
  if (record === undefined) {
    rmSync(`${recordPath(paths)}.new`, { force: true });
    return;
  }
  const ip = findTool('ip');
  const sameNetns = namespaceId(paths.netns) === record.netnsId;
  const inside = ['-n', paths.name];
  for (const link of [...record.links].reverse()) {
    if (link.kind === 'veth' && link.peerNamespace === undefined && link.peer !== undefined) {
      // Deleting either end deletes both; the host end only if it is still a veth (a crash may have left the name unused).
      if (linkKind(ip, ['link', 'show', 'dev', link.peer]) === 'veth' && !helperSucceeds(ip, ['link', 'delete', 'dev', link.peer])) notes.push(`could not remove interface ${link.peer} on the host`);
    }
    if (link.temporary !== undefined && linkKind(ip, ['link', 'show', 'dev', link.temporary]) === 'macvlan') helperSucceeds(ip, ['link', 'delete', 'dev', link.temporary]);
    if (sameNetns) {
      for (const dev of [link.name, ...(link.temporary !== undefined ? [link.temporary] : [])]) {
        if (exists(ip, inside, dev)) helperSucceeds(ip, [...inside, 'link', 'delete', 'dev', dev]);
      }
    }
  }
  if (record.natTable !== undefined) {
    let nft: string | undefined;
    try {
      nft = findTools(['nft'] as const).nft;
    } catch (error) {
      notes.push(`could not remove nftables table ${record.natTable}: ${(error as Error).message}`);
    }
    const [family, table] = record.natTable.split(' ') as [string, string];
    if (nft !== undefined && helperSucceeds(nft, ['list', 'table', family, table]) && !helperSucceeds(nft, ['delete', 'table', family, table])) notes.push(`could not remove nftables table ${record.natTable}`);
  }
  if (record.sysctls.length > 0) {
    const putBack = () => {
      for (const change of [...record.sysctls].reverse()) {
        const now = readSysctl(change.path);
        // Its interface is gone (a veth's host end), or someone changed it since: theirs now.
        if (now === undefined || now !== change.set) continue;
        if (handOver(paths, change)) continue;
        if (!writeSysctl(change.path, change.before)) notes.push(`could not put ${change.path} back to ${change.before}`);
      }
    };
    // Under the host's lock, as makeLinks switches them: a namespace coming up meanwhile is either seen here or sees our switch put back.
    try {
      withHostLock(STATE_ROOT, findTool('flock'), putBack);
    } catch (error) {
      notes.push(`${(error as Error).message}; the forwarding switches of ${paths.name} were left as they are`);
    }
  }
  rmSync(recordPath(paths), { force: true });
  rmSync(`${recordPath(paths)}.new`, { force: true });
}

/** One row of --status: a link the file asks for or netns-run made, and whether it stands. */
export interface LinkReport {
  readonly name: string;
  readonly kind: 'veth' | 'macvlan' | 'dummy';
  /** A veth's other end, on the host or in peerNamespace. */
  readonly peer?: string;
  readonly peerNamespace?: string;
  /**
   * made: netns-run made it in the namespace as it is now; missing: the file
   * asks for it and the next run or --ensure makes it; gone: made, but no
   * longer in the namespace (root only can tell).
   */
  readonly state: 'made' | 'missing' | 'gone';
}

export interface LinksReport {
  readonly links: readonly LinkReport[];
  /** The host's masquerade table of the namespace, while it stands. */
  readonly natTable?: string;
  /** Why network.conf could not be read or checked (a run would refuse it too). */
  readonly problem?: string;
}

/**
 * The links of NAME: what the file asks for and what the record says was
 * made, a row each. With detail (root), whether each is in the kernel too.
 * id: the namespace's (inspect.ts); record: readLinksRecord's, which the
 * report reads only where the records' directory is there.
 */
export function describeLinks(
  paths: NamespacePaths,
  detail: boolean,
  load: () => { links: readonly LinkSpec[] } | undefined,
  id: string | undefined,
  record: LinksRecord | undefined,
): LinksReport {
  let asked: readonly LinkSpec[] = [];
  let problem: string | undefined;
  try {
    asked = load()?.links ?? [];
  } catch (error) {
    problem = (error as Error).message;
  }
  const standing = record !== undefined && record.complete === true && record.netnsId === id ? record : undefined;
  const rows = new Map<string, LinkReport>();
  for (const spec of asked) {
    const peer = spec.kind === 'veth' ? { peer: peerNameOf(paths.name, spec), ...(spec.peerNamespace !== undefined ? { peerNamespace: spec.peerNamespace } : {}) } : {};
    rows.set(spec.name, { name: spec.name, kind: spec.kind, ...peer, state: 'missing' });
  }
  for (const made of standing?.links ?? []) {
    rows.set(made.name, { name: made.name, kind: made.kind, ...(made.peer !== undefined ? { peer: made.peer } : {}), ...(made.peerNamespace !== undefined ? { peerNamespace: made.peerNamespace } : {}), state: 'made' });
  }
  let links = [...rows.values()];
  if (detail && id !== undefined) {
    try {
      const ip = findTool('ip');
      links = links.map((link) => (link.state === 'made' && !exists(ip, ['-n', paths.name], link.name) ? { ...link, state: 'gone' } : link));
    } catch {
      // No ip: the records alone.
    }
  }
  return { links, ...(standing?.natTable !== undefined ? { natTable: standing.natTable } : {}), ...(problem !== undefined ? { problem } : {}) };
}

/** One line a link, for --status. */
export function formatLink(link: LinkReport): string {
  const other = link.peer === undefined ? '' : link.peerNamespace !== undefined ? `, other end ${link.peer} in ${link.peerNamespace}` : `, host end ${link.peer}`;
  const state = { made: 'made', missing: 'not made yet; the next run or --ensure makes it', gone: 'made, but gone from the namespace; netns-run --down and a run make it again' }[link.state];
  return `${link.name}: ${link.kind}${other}; ${state}`;
}
