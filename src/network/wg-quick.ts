// wg-quick(8) files as VPN providers hand them out, read the way wg-quick
// reads them (keys without regard to case, '#' starts a comment, Address and
// DNS may repeat and take comma lists), into a typed WireGuardSpec; and the
// part of it that wg(8) takes, as `wg setconf` input. Pure: no I/O.
//
// Each key is either honoured or refused with one line that says why. An
// error names the file, the line and the key, never a value: a value may be
// a private key, or one pasted into the wrong place.
import { NetnsRunError } from '../errors.js';
import { cidrText, isHostName, network, parseAddress, parseCidr, addressText, type Cidr, type Family } from './address.js';
import { FROM_TUNNEL_HEADER, isInterfaceName } from './files.js';
import { Secret } from './secret.js';


export interface Endpoint {
  /** A literal address (canonical text) or a host name, resolved by wg(8) outside the namespace. */
  readonly host: string;
  readonly family: Family | 'name';
  readonly port: number;
}

export interface Peer {
  readonly publicKey: string;
  readonly presharedKey?: Secret;
  readonly endpoint?: Endpoint;
  /** As written (host bits kept), in order; routes use their networks. */
  readonly allowedIPs: readonly Cidr[];
  /** Seconds; 0 is off. */
  readonly persistentKeepalive: number;
}

export interface Dns {
  readonly servers: readonly string[];
  readonly search: readonly string[];
}

/** One WireGuard interface: what a wg-quick file says, checked. */
export interface WireGuardSpec {
  /** The file it came from, for messages. */
  readonly file: string;
  /** The name inside the namespace (the file's name without .conf). */
  readonly interfaceName: string;
  readonly privateKey: Secret;
  /** Absent: wg(8) picks a random port. */
  readonly listenPort?: number;
  /** 0 is off. */
  readonly fwMark: number;
  readonly addresses: readonly Cidr[];
  readonly dns: Dns;
  readonly mtu?: number;
  /** auto: routes for every AllowedIPs in the namespace's main table; off: no routes. */
  readonly table: 'auto' | 'off';
  readonly peers: readonly Peer[];
  /** The digest of the file it came from (config.ts), recorded with what was made so that --ensure sees an edit. */
  readonly fingerprint?: string;
}

class Reader {
  constructor(private readonly file: string) {}

  fail(line: number, why: string): never {
    throw new NetnsRunError(`${this.file}:${line}: ${why}`);
  }
}

/** wg(8)'s rule for a key: 32 bytes in base64, 44 characters, the last '=' and the one before it carrying no spare bits. */
const KEY_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export function isKey(text: string): boolean {
  return KEY_PATTERN.test(text);
}

/** A key's name as written, shown only when it cannot be anything else (a pasted key has '+', '/' or digits). */
function shownKey(key: string): string {
  return /^[A-Za-z]{1,32}$/.test(key) ? key : 'a key';
}

/** wg-quick splits list values at commas and whitespace. */
function items(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

const HOOKS = new Set(['preup', 'postup', 'predown', 'postdown']);

/** Interface keys that hold one value: given twice is a mistake we refuse (wg-quick would silently take the last). */
const INTERFACE_SINGLE = new Set(['privatekey', 'listenport', 'fwmark', 'mtu', 'table', 'saveconfig']);
const PEER_SINGLE = new Set(['publickey', 'presharedkey', 'endpoint', 'persistentkeepalive']);

function parseUint(text: string, max: number): number | undefined {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text)) return undefined;
  const value = Number(text);
  return value <= max ? value : undefined;
}

function parseEndpoint(text: string): Endpoint | undefined {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return undefined;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    const parsed = parseAddress(host);
    if (parsed?.family !== 6) return undefined;
    host = addressText(6, parsed.bytes);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return undefined;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return undefined; // IPv6 without brackets: the port is ambiguous
  }
  const port = parseUint(portText, 65535);
  if (port === undefined || port === 0) return undefined;
  const parsed = parseAddress(host);
  if (parsed !== undefined) return { host: addressText(parsed.family, parsed.bytes), family: parsed.family, port };
  if (/^[0-9.]+$/.test(host) || !isHostName(host)) return undefined;
  return { host, family: 'name', port };
}

interface PeerDraft {
  line: number;
  publicKey?: string;
  presharedKey?: Secret;
  endpoint?: Endpoint;
  allowedIPs: Cidr[];
  persistentKeepalive: number;
  seen: Set<string>;
}

/**
 * Parses the wg-quick file TEXT, read from FILE, for the interface called
 * INTERFACENAME inside the namespace. Throws a NetnsRunError naming
 * FILE:LINE and the key, never its value.
 */
export function parseWgQuick(text: string, file: string, interfaceName: string): WireGuardSpec {
  const r: Reader = new Reader(file);
  if (!isInterfaceName(interfaceName)) throw new NetnsRunError(`${file}: the file name is no interface name (letters, digits, _ = + . -, at most 15 characters, then .conf)`);
  let section: 'none' | 'interface' | 'peer' = 'none';
  let sawInterface = false;
  let privateKey: Secret | undefined;
  let listenPort: number | undefined;
  let fwMark = 0;
  let mtu: number | undefined;
  let table: 'auto' | 'off' = 'auto';
  const addresses: Cidr[] = [];
  const servers: string[] = [];
  const search: string[] = [];
  const interfaceSeen = new Set<string>();
  const peers: PeerDraft[] = [];
  let peer: PeerDraft | undefined;

  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const n = index + 1;
    const stripped = lines[index]!.replace(/#.*$/s, '').trim();
    if (stripped === '') continue;
    if (stripped.startsWith('[')) {
      const name = stripped.toLowerCase();
      if (name === '[interface]') {
        if (sawInterface) r.fail(n, 'a second [Interface] section; a file describes one interface');
        sawInterface = true;
        section = 'interface';
      } else if (name === '[peer]') {
        section = 'peer';
        peer = { line: n, allowedIPs: [], persistentKeepalive: 0, seen: new Set() };
        peers.push(peer);
      } else {
        r.fail(n, `${/^\[[A-Za-z]{1,32}\]$/.test(stripped) ? stripped : 'this'} is not a section of a wg-quick file; use [Interface] or [Peer]`);
      }
      continue;
    }
    const equals = stripped.indexOf('=');
    if (equals <= 0) r.fail(n, 'the line is neither a [Section] nor KEY = VALUE');
    const rawKey = stripped.slice(0, equals).trim();
    const key = rawKey.toLowerCase();
    const value = stripped.slice(equals + 1).trim();
    const shown = shownKey(rawKey);
    if (section === 'none') r.fail(n, `${shown} comes before any [Interface] or [Peer] section`);

    if (section === 'interface') {
      if (INTERFACE_SINGLE.has(key)) {
        if (interfaceSeen.has(key)) r.fail(n, `${shown} is given twice in [Interface]; keep one`);
        interfaceSeen.add(key);
        if (value === '') r.fail(n, `${shown} has no value`);
      }
      switch (key) {
        case 'privatekey':
          if (!isKey(value)) r.fail(n, 'PrivateKey is not a WireGuard key (44 characters of base64, as `wg genkey` prints)');
          privateKey = new Secret(value);
          break;
        case 'address':
          for (const item of items(value)) {
            const cidr = parseCidr(item);
            if (cidr === undefined) r.fail(n, 'Address has an entry that is no IPv4 or IPv6 address with an optional /prefix');
            addresses.push(cidr);
          }
          break;
        case 'dns':
          for (const item of items(value)) {
            // wg-quick's own rule: digits and dots, or a colon, make a server; other words are search domains.
            if (/^[0-9.]+$/.test(item) || item.includes(':')) {
              const parsed = parseAddress(item);
              if (parsed === undefined) r.fail(n, 'DNS has an entry that looks like an address but is none');
              servers.push(addressText(parsed.family, parsed.bytes));
            } else {
              if (!isHostName(item)) r.fail(n, 'DNS has an entry that is neither an IP address nor a domain name');
              search.push(item);
            }
          }
          break;
        case 'mtu': {
          const parsed = parseUint(value, 65535);
          if (parsed === undefined || parsed < 576) r.fail(n, 'MTU must be a whole number from 576 to 65535');
          mtu = parsed;
          break;
        }
        case 'listenport': {
          const parsed = parseUint(value, 65535);
          if (parsed === undefined) r.fail(n, 'ListenPort must be a port number from 0 to 65535');
          listenPort = parsed;
          break;
        }
        case 'fwmark': {
          let parsed: number | undefined;
          if (value.toLowerCase() === 'off') parsed = 0;
          else if (/^0x[0-9a-f]{1,8}$/i.test(value)) parsed = parseInt(value.slice(2), 16);
          else parsed = parseUint(value, 0xffffffff);
          if (parsed === undefined) r.fail(n, 'FwMark must be off, a decimal number or 0x followed by hex digits (at most 32 bits)');
          fwMark = parsed;
          break;
        }
        case 'table': {
          const lower = value.toLowerCase();
          if (lower === 'off') table = 'off';
          else if (lower === 'auto' || lower === 'main' || value === '254') table = 'auto';
          else {
            r.fail(n, 'Table: netns-run puts routes in the namespace\'s main table (Table = auto) or none (Table = off); another table would need rules it does not make');
          }
          break;
        }
        case 'saveconfig':
          if (value.toLowerCase() === 'true') r.fail(n, 'SaveConfig = true: netns-run never writes back to its configuration; remove the line or set it to false');
          if (value.toLowerCase() !== 'false') r.fail(n, 'SaveConfig must be true or false');
          break;
        default:
          if (HOOKS.has(key)) {
            r.fail(n, `${shown}: netns-run runs no shell commands from a configuration file (root would run them); remove the line`);
          }
          r.fail(n, `${shown} is not a key of [Interface]; wg-quick's are PrivateKey, Address, DNS, MTU, ListenPort, FwMark, Table, SaveConfig`);
      }
      continue;
    }

    // [Peer]
    const p = peer!;
    if (PEER_SINGLE.has(key)) {
      if (p.seen.has(key)) r.fail(n, `${shown} is given twice in this [Peer]; keep one`);
      p.seen.add(key);
      if (value === '') r.fail(n, `${shown} has no value`);
    }
    switch (key) {
      case 'publickey':
        if (!isKey(value)) r.fail(n, 'PublicKey is not a WireGuard key (44 characters of base64, as `wg pubkey` prints)');
        p.publicKey = value;
        break;
      case 'presharedkey':
        if (!isKey(value)) r.fail(n, 'PresharedKey is not a WireGuard key (44 characters of base64, as `wg genpsk` prints)');
        p.presharedKey = new Secret(value);
        break;
      case 'endpoint': {
        const endpoint = parseEndpoint(value);
        if (endpoint === undefined) r.fail(n, 'Endpoint must be HOST:PORT, IPv4:PORT or [IPv6]:PORT with a port from 1 to 65535');
        p.endpoint = endpoint;
        break;
      }
      case 'allowedips':
        for (const item of items(value)) {
          const cidr = parseCidr(item);
          if (cidr === undefined) r.fail(n, 'AllowedIPs has an entry that is no IPv4 or IPv6 address with an optional /prefix');
          p.allowedIPs.push(cidr);
        }
        break;
      case 'persistentkeepalive': {
        const parsed = value.toLowerCase() === 'off' ? 0 : parseUint(value, 65535);
        if (parsed === undefined) r.fail(n, 'PersistentKeepalive must be off or seconds from 0 to 65535');
        p.persistentKeepalive = parsed;
        break;
      }
      default:
        r.fail(n, `${shown} is not a key of [Peer]; wg's are PublicKey, PresharedKey, Endpoint, AllowedIPs, PersistentKeepalive`);
    }
  }

  const end = lines.length;
  if (!sawInterface) r.fail(end, 'no [Interface] section');
  if (privateKey === undefined) r.fail(end, '[Interface] has no PrivateKey');
  const publicKeys = new Map<string, number>();
  for (const p of peers) {
    if (p.publicKey === undefined) r.fail(p.line, 'this [Peer] has no PublicKey');
    const earlier = publicKeys.get(p.publicKey);
    if (earlier !== undefined) r.fail(p.line, `this [Peer] has the same PublicKey as the one at line ${earlier}; merge them`);
    publicKeys.set(p.publicKey, p.line);
  }
  return {
    file,
    interfaceName,
    privateKey,
    ...(listenPort !== undefined ? { listenPort } : {}),
    fwMark,
    addresses,
    dns: { servers, search },
    ...(mtu !== undefined ? { mtu } : {}),
    table,
    peers: peers.map((p) => ({
      publicKey: p.publicKey!,
      ...(p.presharedKey !== undefined ? { presharedKey: p.presharedKey } : {}),
      ...(p.endpoint !== undefined ? { endpoint: p.endpoint } : {}),
      allowedIPs: p.allowedIPs,
      persistentKeepalive: p.persistentKeepalive,
    })),
  };
}

export function endpointText(endpoint: Endpoint): string {
  return endpoint.family === 6 ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

/**
 * The input of `wg setconf IF /dev/stdin`: only the keys wg(8) takes. It
 * holds the private key, so it goes to wg's stdin and nowhere else.
 */
export function renderSetconf(spec: WireGuardSpec): string {
  const out = ['[Interface]', `PrivateKey = ${spec.privateKey.reveal()}`];
  if (spec.listenPort !== undefined) out.push(`ListenPort = ${spec.listenPort}`);
  if (spec.fwMark !== 0) out.push(`FwMark = 0x${spec.fwMark.toString(16)}`);
  for (const peer of spec.peers) {
    out.push('', '[Peer]', `PublicKey = ${peer.publicKey}`);
    if (peer.presharedKey !== undefined) out.push(`PresharedKey = ${peer.presharedKey.reveal()}`);
    if (peer.endpoint !== undefined) out.push(`Endpoint = ${endpointText(peer.endpoint)}`);
    if (peer.allowedIPs.length > 0) out.push(`AllowedIPs = ${peer.allowedIPs.map(cidrText).join(', ')}`);
    if (peer.persistentKeepalive !== 0) out.push(`PersistentKeepalive = ${peer.persistentKeepalive}`);
  }
  return `${out.join('\n')}\n`;
}

/** The routes the namespace needs: each peer's AllowedIPs as networks, once each (none with Table = off). */
export function routes(spec: WireGuardSpec): Cidr[] {
  if (spec.table === 'off') return [];
  const seen = new Set<string>();
  const out: Cidr[] = [];
  for (const peer of spec.peers) {
    for (const allowed of peer.allowedIPs) {
      const net = network(allowed);
      const text = cidrText(net);
      if (seen.has(text)) continue;
      seen.add(text);
      out.push(net);
    }
  }
  return out;
}

/** resolv.conf for DNS = ...: undefined when the file names no servers (the namespace keeps its default). */
export function renderResolvConf(dns: Dns, source: string): string | undefined {
  if (dns.servers.length === 0) return undefined;
  const out = [`${FROM_TUNNEL_HEADER}${source}`, ...dns.servers.map((server) => `nameserver ${server}`)];
  if (dns.search.length > 0) out.push(`search ${dns.search.join(' ')}`);
  return `${out.join('\n')}\n`;
}
