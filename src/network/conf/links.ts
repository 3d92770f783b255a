// [Veth], [Macvlan], [Dummy], [Route]: the links of network.conf and their
// addresses and routes (issue 14, items 1-4). Pure: each section is checked
// whole, every error names FILE:LINE, and what the sections say together
// (one Name per link, one default route per family) is checked as each
// section is read, so a bad file makes nothing.

import type { Cidr, Family } from '../address.js';
import { configError, knownKeys, parseAddressValue, parseBoolean, parseChoice, parseCidrValue, parseNumber, sectionValues, type IniEntry, type IniSection } from '../ini.js';
import { isInterfaceName } from '../files.js';
import type { Draft, SectionParser } from './draft.js';
import { forwardRoute } from '../forward-route.js';

export interface Gateway {
  readonly family: Family;
  readonly address: string;
}

interface LinkCommon {
  /** The interface's name inside the namespace. */
  readonly name: string;
  readonly addresses: readonly Cidr[];
  readonly mtu?: number;
  readonly macAddress?: string;
  /** Default routes inside through these gateways (one per family at most). */
  readonly gateways: readonly Gateway[];
  readonly line: number;
}

export interface VethSpec extends LinkCommon {
  readonly kind: 'veth';
  /** The other end's name (default: derived, stable per namespace and link: see network/links.ts). */
  readonly peerName?: string;
  /** The other end goes into this network namespace (/run/netns/OTHER) instead of the host's. */
  readonly peerNamespace?: string;
  readonly peerAddresses: readonly Cidr[];
  readonly peerMacAddress?: string;
  readonly peerMtu?: number;
  /** The host end joins this existing bridge. */
  readonly bridge?: string;
  /** Outbound NAT on the host through this link, with IPv4 forwarding switched on for it (and its uplink) only. */
  readonly masquerade: boolean;
  /** The host interface masqueraded traffic leaves by (default: that of the host's IPv4 default route when made). */
  readonly uplink?: string;
  /** net.ipv6.conf.all.forwarding=1 on the host: IPv6 has no per-interface switch, so only when asked for by name. */
  readonly hostIPv6Forwarding: boolean;
}

export const MACVLAN_MODES = ['private', 'vepa', 'bridge', 'passthru', 'source'] as const;

export interface MacvlanSpec extends LinkCommon {
  readonly kind: 'macvlan';
  /** The host interface it sits on. */
  readonly parent: string;
  readonly mode: (typeof MACVLAN_MODES)[number];
}

export interface DummySpec extends LinkCommon {
  readonly kind: 'dummy';
}

export type LinkSpec = VethSpec | MacvlanSpec | DummySpec;

export interface RouteSpec {
  /** 'default' or a prefix. */
  readonly destination: Cidr | 'default';
  readonly family: Family;
  readonly gateway?: string;
  readonly device?: string;
  readonly metric?: number;
  readonly line: number;
}

/** A namespace name as ip netns takes it: what PeerNamespace= may name. */
const NAMESPACE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

function interfaceName(entry: IniEntry, file: string): string {
  if (!isInterfaceName(entry.value) || entry.value === 'lo') {
    throw configError(file, entry.line, `${entry.key} must be an interface name of 1 to 15 letters, digits, or - _ . (not lo)`);
  }
  return entry.value;
}

function macAddress(entry: IniEntry, file: string): string {
  if (!/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(entry.value)) throw configError(file, entry.line, `${entry.key} must be a MAC address like 02:00:00:00:00:01`);
  const first = parseInt(entry.value.slice(0, 2), 16);
  // A multicast source address is refused by the kernel with a message that names no key.
  if ((first & 1) === 1) throw configError(file, entry.line, `${entry.key} is a multicast address (its first byte is odd); use a unicast one like 02:00:00:00:00:01`);
  return entry.value.toLowerCase();
}

/** Address=VALUE[ nodad]: nodad is what netns-run always does for IPv6 (no 1.7 s wait), accepted for systemd's readers. */
function addresses(entries: readonly IniEntry[] | undefined, file: string): Cidr[] {
  return (entries ?? []).map((entry) => {
    const [value, ...flags] = entry.value.split(/\s+/);
    if (flags.some((flag) => flag.toLowerCase() !== 'nodad')) throw configError(file, entry.line, `${entry.key} takes an address/prefix, optionally followed by nodad`);
    return parseCidrValue({ ...entry, value: value! }, file);
  });
}

/** Gateway= lines: literal addresses, one per family. */
function gateways(entries: readonly IniEntry[] | undefined, file: string): Gateway[] {
  const found: Gateway[] = [];
  for (const entry of entries ?? []) {
    const gateway = parseAddressValue(entry, file);
    if (found.some((g) => g.family === gateway.family)) throw configError(file, entry.line, `a second IPv${gateway.family} ${entry.key}: a link has one default route per family`);
    found.push(gateway);
  }
  return found;
}

function one(values: Map<string, IniEntry[]>, key: string): IniEntry | undefined {
  return values.get(key)?.[0];
}

function required(values: Map<string, IniEntry[]>, key: string, section: IniSection, file: string): IniEntry {
  const entry = one(values, key.toLowerCase());
  if (entry === undefined) throw configError(file, section.line, `[${section.title}] needs ${key}=`);
  return entry;
}

/** Names must be unique inside, and host ends on the host, or the second `ip link add` fails half-way. */
function checkUnique(draft: Draft, file: string, link: LinkSpec): void {
  for (const other of draft.links) {
    if (other.name === link.name) throw configError(file, link.line, `a second link named ${link.name} (the first is at line ${other.line})`);
    if (link.kind === 'veth' && other.kind === 'veth' && link.peerName !== undefined && other.peerName === link.peerName) {
      throw configError(file, link.line, `a second PeerName=${link.peerName} (the first is at line ${other.line})`);
    }
  }
}

function common(section: IniSection, file: string, values: Map<string, IniEntry[]>): Omit<LinkCommon, 'gateways'> {
  const mtu = one(values, 'mtu');
  const mac = one(values, 'macaddress');
  return {
    name: interfaceName(required(values, 'Name', section, file), file),
    addresses: addresses(values.get('address'), file),
    ...(mtu !== undefined ? { mtu: parseNumber(mtu, file, 68, 65535) } : {}),
    ...(mac !== undefined ? { macAddress: macAddress(mac, file) } : {}),
    line: section.line,
  };
}

const VETH_KEYS = knownKeys('Name', 'PeerName', 'PeerNamespace', 'Address', 'PeerAddress', 'MTU', 'PeerMTU', 'MACAddress', 'PeerMACAddress', 'Gateway', 'DefaultRoute', 'Bridge', 'Masquerade', 'Uplink', 'HostIPv6Forwarding');

const parseVeth: SectionParser = (section, file, draft) => {
  const values = sectionValues(section, file, { ...once(VETH_KEYS), address: 'repeat', peeraddress: 'repeat', gateway: 'repeat' });
  const base = common(section, file, values);
  const peerAddresses = addresses(values.get('peeraddress'), file);
  const peerNameEntry = one(values, 'peername');
  const peerNamespaceEntry = one(values, 'peernamespace');
  if (peerNamespaceEntry !== undefined && !NAMESPACE_NAME.test(peerNamespaceEntry.value)) throw configError(file, peerNamespaceEntry.line, 'PeerNamespace must be the name of a namespace in /run/netns');
  const explicit = gateways(values.get('gateway'), file);
  const defaultRoute = one(values, 'defaultroute');
  let routed = explicit;
  if (defaultRoute !== undefined && parseBoolean(defaultRoute, file)) {
    if (explicit.length > 0) throw configError(file, defaultRoute.line, 'DefaultRoute=yes and Gateway= together: keep one');
    // Through the other end, per family: the first PeerAddress of each.
    routed = ([4, 6] as const).flatMap((family) => peerAddresses.filter((a) => a.family === family).slice(0, 1).map((a) => ({ family, address: a.address })));
    if (routed.length === 0) throw configError(file, defaultRoute.line, 'DefaultRoute=yes routes through the PeerAddress of this [Veth]; give one');
  }
  const flag = (key: string) => {
    const entry = one(values, key);
    return entry === undefined ? false : parseBoolean(entry, file);
  };
  const masquerade = flag('masquerade');
  const hostIPv6Forwarding = flag('hostipv6forwarding');
  const bridge = one(values, 'bridge');
  const uplink = one(values, 'uplink');
  const peerMac = one(values, 'peermacaddress');
  const peerMtu = one(values, 'peermtu');
  for (const [key, entry] of [['Masquerade', masquerade ? one(values, 'masquerade') : undefined], ['Bridge', bridge], ['Uplink', uplink], ['HostIPv6Forwarding', hostIPv6Forwarding ? one(values, 'hostipv6forwarding') : undefined]] as const) {
    if (entry !== undefined && peerNamespaceEntry !== undefined) throw configError(file, entry.line, `${key} is about the host's end, and this [Veth] has none: its other end is in PeerNamespace=${peerNamespaceEntry.value}`);
  }
  if (uplink !== undefined && !masquerade) throw configError(file, uplink.line, 'Uplink= says where masqueraded traffic leaves the host; it needs Masquerade=yes');
  if (masquerade && bridge !== undefined) throw configError(file, bridge.line, 'Bridge= and Masquerade=yes together: a bridged end is switched, not routed; keep one');
  if (masquerade && peerAddresses.length === 0) throw configError(file, one(values, 'masquerade')!.line, 'Masquerade=yes routes through the host end: give it a PeerAddress=');
  const spec: VethSpec = {
    kind: 'veth',
    ...base,
    gateways: routed,
    ...(peerNameEntry !== undefined ? { peerName: interfaceName(peerNameEntry, file) } : {}),
    ...(peerNamespaceEntry !== undefined ? { peerNamespace: peerNamespaceEntry.value } : {}),
    peerAddresses,
    ...(peerMac !== undefined ? { peerMacAddress: macAddress(peerMac, file) } : {}),
    ...(peerMtu !== undefined ? { peerMtu: parseNumber(peerMtu, file, 68, 65535) } : {}),
    ...(bridge !== undefined ? { bridge: interfaceName(bridge, file) } : {}),
    masquerade,
    ...(uplink !== undefined ? { uplink: interfaceName(uplink, file) } : {}),
    hostIPv6Forwarding,
  };
  checkUnique(draft, file, spec);
  checkOneDefaultRoute(draft, file, spec);
  draft.links.push(spec);
};

const MACVLAN_KEYS = knownKeys('Name', 'Parent', 'Mode', 'Address', 'MTU', 'MACAddress', 'Gateway');

const parseMacvlan: SectionParser = (section, file, draft) => {
  const values = sectionValues(section, file, { ...once(MACVLAN_KEYS), address: 'repeat', gateway: 'repeat' });
  const base = common(section, file, values);
  const mode = one(values, 'mode');
  const spec: MacvlanSpec = {
    kind: 'macvlan',
    ...base,
    gateways: gateways(values.get('gateway'), file),
    parent: interfaceName(required(values, 'Parent', section, file), file),
    mode: mode === undefined ? 'bridge' : parseChoice(mode, file, MACVLAN_MODES),
  };
  checkUnique(draft, file, spec);
  checkOneDefaultRoute(draft, file, spec);
  draft.links.push(spec);
};

const DUMMY_KEYS = knownKeys('Name', 'Address', 'MTU', 'MACAddress');

const parseDummy: SectionParser = (section, file, draft) => {
  const values = sectionValues(section, file, { ...once(DUMMY_KEYS), address: 'repeat' });
  const spec: DummySpec = { kind: 'dummy', ...common(section, file, values), gateways: [] };
  checkUnique(draft, file, spec);
  draft.links.push(spec);
};

const ROUTE_KEYS = knownKeys('Destination', 'Gateway', 'Device', 'Metric');

const parseRoute: SectionParser = (section, file, draft) => {
  const values = sectionValues(section, file, once(ROUTE_KEYS));
  const destinationEntry = required(values, 'Destination', section, file);
  const gatewayEntry = one(values, 'gateway');
  const deviceEntry = one(values, 'device');
  const metricEntry = one(values, 'metric');
  const gateway = gatewayEntry === undefined ? undefined : parseAddressValue(gatewayEntry, file);
  let destination: Cidr | 'default';
  let family: Family;
  if (destinationEntry.value.toLowerCase() === 'default') {
    destination = 'default';
    // "default" has no family of its own: the gateway's, else IPv4.
    family = gateway?.family ?? 4;
  } else {
    destination = parseCidrValue(destinationEntry, file);
    family = destination.family;
  }
  if (gateway !== undefined && gateway.family !== family) throw configError(file, gatewayEntry!.line, `Gateway is an IPv${gateway.family} address and Destination an IPv${family} one`);
  if (gateway === undefined && deviceEntry === undefined) throw configError(file, section.line, '[Route] needs Gateway= or Device= (or both)');
  draft.routes.push({
    destination,
    family,
    ...(gateway !== undefined ? { gateway: gateway.address } : {}),
    ...(deviceEntry !== undefined ? { device: interfaceName(deviceEntry, file) } : {}),
    ...(metricEntry !== undefined ? { metric: parseNumber(metricEntry, file, 0, 4294967295) } : {}),
    line: section.line,
  });
};

/** Two default routes of one family without metrics make the second `ip route add` fail: refused here instead. */
function checkOneDefaultRoute(draft: Draft, file: string, link: LinkSpec): void {
  for (const gateway of link.gateways) {
    const other = draft.links.find((l) => l.gateways.some((g) => g.family === gateway.family));
    if (other !== undefined) throw configError(file, link.line, `a second IPv${gateway.family} default route (the first is the [${other.kind === 'veth' ? 'Veth' : 'Macvlan'}] at line ${other.line}); use a [Route] with a Metric= for more`);
  }
}

function once<K extends string>(keys: Record<K, string>): Record<K, 'once'> {
  return Object.fromEntries(Object.keys(keys).map((key) => [key, 'once'])) as Record<K, 'once'>;
}

/** Every key of each section, as documented (netns-run.conf(5) names each; a unit test holds it to that). */
export const LINK_KEYS: Readonly<Record<string, readonly string[]>> = {
  Veth: Object.values(VETH_KEYS),
  Macvlan: Object.values(MACVLAN_KEYS),
  Dummy: Object.values(DUMMY_KEYS),
  Route: Object.values(ROUTE_KEYS),
};

export const LINK_SECTIONS: Readonly<Record<string, SectionParser>> = {
  veth: parseVeth,
  macvlan: parseMacvlan,
  dummy: parseDummy,
  route: parseRoute,
};

/**
 * HostIPv6Forwarding=yes switches a host-wide setting: only for what needs
 * it, masqueraded IPv6 or an IPv6 [Forward] carried over the veth by DNAT.
 * Checked once the whole file is read, as the forwards come after the links.
 */
export function checkHostIPv6Forwarding(draft: Pick<Draft, 'links' | 'forwards'>, file: string): void {
  for (const link of draft.links) {
    if (link.kind !== 'veth' || !link.hostIPv6Forwarding || link.masquerade) continue;
    const carried = draft.forwards.some((spec) => {
      const route = spec.listen.family === 6 ? forwardRoute(spec, draft.links) : undefined;
      return route?.kind === 'dnat' && route.link === link;
    });
    if (!carried) throw configError(file, link.line, `HostIPv6Forwarding=yes of [Veth] ${link.name} is for masqueraded IPv6 or an IPv6 [Forward] carried over it by DNAT; it needs Masquerade=yes or such a [Forward]`);
  }
}
