// Addresses and prefixes as a wg-quick file writes them, checked and put in
// the one form the kernel and wg(8) print back, so that what the file says
// can be compared with what the kernel has. Pure: no lookups, no sockets.

export type Family = 4 | 6;

/** An address with its prefix length: an interface address or a route. */
export interface Cidr {
  readonly family: Family;
  /** Canonical text (IPv6 compressed the way iproute2 prints it). */
  readonly address: string;
  readonly prefix: number;
}

/** "a.b.c.d/n" or "x::y/n": how ip(8) and wg(8) print it. */
export function cidrText(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}

function parseV4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    // No leading zeros: inet_aton would read 010 as octal, ip(8) as decimal.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes.push(value);
  }
  return bytes;
}

function parseV6(text: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.length > 45) return undefined;
  let tail: number[] = [];
  let head = text;
  // An IPv4 address may end it (::ffff:192.0.2.1).
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (v4 === undefined || lastColon < 0) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const group of part.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return undefined;
      out.push(parseInt(group, 16));
    }
    return out;
  };
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (left === undefined || right === undefined) return undefined;
  const given = left.length + right.length + tail.length;
  let words: number[];
  if (halves.length === 2) {
    if (given > 7) return undefined;
    words = [...left, ...new Array<number>(8 - given).fill(0), ...right, ...tail];
  } else {
    if (given !== 8) return undefined;
    words = [...left, ...tail];
  }
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as "::" (the first if tied). */
function v6Text(bytes: readonly number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((word) => word.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The address's family and bytes, or undefined when it is no literal IPv4 or IPv6 address. */
export function parseAddress(text: string): { family: Family; bytes: number[] } | undefined {
  const v4 = parseV4(text);
  if (v4 !== undefined) return { family: 4, bytes: v4 };
  const v6 = text.includes(':') ? parseV6(text) : undefined;
  if (v6 !== undefined) return { family: 6, bytes: v6 };
  return undefined;
}

export function addressText(family: Family, bytes: readonly number[]): string {
  return family === 4 ? bytes.join('.') : v6Text(bytes);
}

/** "ADDR" or "ADDR/N"; no prefix means the whole address (/32, /128), as wg(8) and ip(8) read it. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const parsed = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (parsed === undefined) return undefined;
  const max = parsed.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const digits = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(digits) || Number(digits) > max) return undefined;
    prefix = Number(digits);
  }
  return { family: parsed.family, address: addressText(parsed.family, parsed.bytes), prefix };
}

/** The network a prefix names, host bits cleared: what `ip route` needs and what `wg show allowed-ips` prints. */
export function network(cidr: Cidr): Cidr {
  const parsed = parseAddress(cidr.address)!;
  const bytes = parsed.bytes.map((byte, index) => {
    const bits = Math.max(0, Math.min(8, cidr.prefix - index * 8));
    return byte & ((0xff << (8 - bits)) & 0xff);
  });
  return { family: cidr.family, address: addressText(cidr.family, bytes), prefix: cidr.prefix };
}

/** A host name as DNS allows it: labels of letters, digits and inner hyphens (underscores, as resolvers accept them). */
export function isHostName(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  const labels = (text.endsWith('.') ? text.slice(0, -1) : text).split('.');
  return labels.every((label) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label)) && !/^[0-9.]+$/.test(text);
}
