// [Forward]: ports from the host into the namespace and from the namespace
// to the host (issue 15). Addresses only, never host names: a forward is
// made by root before any name service of the namespace exists, and a name
// would be looked up on the wrong side.

import { parseAddress, addressText, type Family } from '../address.js';
import { configError, knownKeys, parseChoice, sectionValues, type IniEntry } from '../ini.js';
import type { SectionParser } from './draft.js';

export interface Endpoint {
  readonly family: Family;
  readonly address: string;
  readonly port: number;
}

export interface ForwardSpec {
  /** in: listen on the host, connect inside; out: listen inside, connect on the host. */
  readonly direction: 'in' | 'out';
  readonly protocol: 'tcp' | 'udp';
  readonly listen: Endpoint;
  readonly connect: Endpoint;
  readonly line: number;
}

const KEYS = knownKeys('Direction', 'Protocol', 'Listen', 'Connect');

/** ADDR:PORT, [V6]:PORT; the address in the form ip(8) prints. Pure. */
export function parseEndpoint(text: string): Endpoint | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (!/^[1-9]/.test(match[3]!) || port > 65535) return undefined;
  const parsed = parseAddress(match[1] ?? match[2]!);
  // [1.2.3.4]:80 and a bare v6 are refused: one spelling each.
  if (parsed === undefined || (match[1] !== undefined) !== (parsed.family === 6)) return undefined;
  return { family: parsed.family, address: addressText(parsed.family, parsed.bytes), port };
}

/** ADDR:PORT as it is written back: [v6]:port. */
export function endpointText(endpoint: Endpoint): string {
  return endpoint.family === 6 ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

/** "in tcp 127.0.0.1:9091 -> 127.0.0.1:9091": one forward in one line, for --status and records. */
export function forwardText(spec: Pick<ForwardSpec, 'direction' | 'protocol' | 'listen' | 'connect'>): string {
  return `${spec.direction} ${spec.protocol} ${endpointText(spec.listen)} -> ${endpointText(spec.connect)}`;
}

function endpointValue(entry: IniEntry, file: string): Endpoint {
  const endpoint = parseEndpoint(entry.value);
  if (endpoint === undefined) throw configError(file, entry.line, `${entry.key} must be ADDRESS:PORT (an IPv4 address, or an IPv6 one in brackets: [::1]:9091), the port from 1 to 65535`);
  return endpoint;
}

function isWildcard(endpoint: Endpoint): boolean {
  return endpoint.address === '0.0.0.0' || endpoint.address === '::';
}

/** Two listeners on one side that the kernel would refuse to bind both: the same port and protocol, the same address or a wildcard of the family. */
function clash(a: ForwardSpec, b: ForwardSpec): boolean {
  if (a.protocol !== b.protocol || a.listen.port !== b.listen.port || a.direction !== b.direction || a.listen.family !== b.listen.family) return false;
  return a.listen.address === b.listen.address || isWildcard(a.listen) || isWildcard(b.listen);
}

const parseForward: SectionParser = (section, file, draft) => {
  const values = sectionValues(section, file, { direction: 'once', protocol: 'once', listen: 'once', connect: 'once' });
  const one = (key: keyof typeof KEYS): IniEntry => {
    const entry = values.get(key)?.[0];
    if (entry === undefined) throw configError(file, section.line, `[${section.title}] needs ${KEYS[key]}=`);
    return entry;
  };
  const protocolEntry = values.get('protocol')?.[0];
  const spec: ForwardSpec = {
    direction: parseChoice(one('direction'), file, ['in', 'out'] as const),
    protocol: protocolEntry === undefined ? 'tcp' : parseChoice(protocolEntry, file, ['tcp', 'udp'] as const),
    listen: endpointValue(one('listen'), file),
    connect: endpointValue(one('connect'), file),
    line: section.line,
  };
  const earlier = draft.forwards.find((other) => clash(other, spec));
  if (earlier !== undefined) {
    const side = spec.direction === 'in' ? 'on the host' : 'inside';
    throw configError(file, one('listen').line, `${spec.protocol} ${endpointText(spec.listen)} ${side} is already listened on by the [${section.title}] of line ${earlier.line}`);
  }
  draft.forwards.push(spec);
};

export const FORWARD_SECTIONS: Readonly<Record<string, SectionParser>> = {
  forward: parseForward,
};
