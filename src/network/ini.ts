// The INI dialect of network.conf, as systemd.network(5) and wg-quick(8)
// write it: [Section] headers (repeatable), Key=Value lines, # and ;
// comments, keys case-insensitive. Pure: text in, sections out, and every
// error names FILE:LINE. What each section means is decided elsewhere
// (network/conf/*.ts); this only reads the shape.

import { NetnsRunError } from '../errors.js';
import { addressText, parseAddress, parseCidr, type Cidr, type Family } from './address.js';

export interface IniEntry {
  /** As written, for messages. */
  readonly key: string;
  /** Lower case, for matching. */
  readonly name: string;
  readonly value: string;
  readonly line: number;
}

export interface IniSection {
  /** As written, without the brackets. */
  readonly title: string;
  /** Lower case, for matching. */
  readonly name: string;
  readonly line: number;
  readonly entries: readonly IniEntry[];
}

/** Fails with FILE:LINE: WHY, the one form of every configuration error. */
export function configError(file: string, line: number, why: string): NetnsRunError {
  return new NetnsRunError(`${file}:${line}: ${why}`);
}

export function readIni(text: string, file: string): IniSection[] {
  const sections: { title: string; name: string; line: number; entries: IniEntry[] }[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = index + 1;
    const stripped = lines[index]!.replace(/^\s*[#;].*$/s, '').replace(/\s#.*$/s, '').trim();
    if (stripped === '') continue;
    if (stripped.startsWith('[')) {
      const match = /^\[([A-Za-z][A-Za-z0-9-]{0,31})\]$/.exec(stripped);
      if (match === null) throw configError(file, line, 'a section header is a name in brackets, like [Veth]');
      sections.push({ title: match[1]!, name: match[1]!.toLowerCase(), line, entries: [] });
      continue;
    }
    const equals = stripped.indexOf('=');
    if (equals <= 0) throw configError(file, line, 'the line is neither a [Section] nor Key=Value');
    const key = stripped.slice(0, equals).trim();
    if (!/^[A-Za-z][A-Za-z0-9_./-]{0,127}$/.test(key)) throw configError(file, line, 'the key before = has characters a key cannot have');
    const section = sections.at(-1);
    if (section === undefined) throw configError(file, line, `${key} comes before any [Section]`);
    section.entries.push({ key, name: key.toLowerCase(), value: stripped.slice(equals + 1).trim(), line });
  }
  return sections;
}

/**
 * Reads the entries of one section against the keys it knows: each known
 * key once unless listed as repeatable, no unknown key, no empty value.
 * Returns the values by lower-case key, in file order.
 */
export function sectionValues(
  section: IniSection,
  file: string,
  known: Readonly<Record<string, 'once' | 'repeat'>>,
): Map<string, IniEntry[]> {
  const values = new Map<string, IniEntry[]>();
  for (const entry of section.entries) {
    const kind = known[entry.name];
    if (kind === undefined) {
      const names = Object.keys(known).map((k) => spelled(k)).join(', ');
      throw configError(file, entry.line, `[${section.title}] has no key ${entry.key}; it knows ${names}`);
    }
    if (entry.value === '') throw configError(file, entry.line, `${entry.key} has no value`);
    const seen = values.get(entry.name) ?? [];
    if (kind === 'once' && seen.length > 0) throw configError(file, entry.line, `${entry.key} is given twice in this [${section.title}]; keep one`);
    values.set(entry.name, [...seen, entry]);
  }
  return values;
}

/** The documented spelling of a lower-case key, for messages: as the table of known keys spells it. */
const SPELLING: Record<string, string> = {};
export function spelled(name: string): string {
  return SPELLING[name] ?? name;
}
/** Registers the documented spellings (PeerAddress for peeraddress) once per module. */
export function knownKeys<K extends string>(...keys: K[]): Record<Lowercase<K>, K> {
  const table = {} as Record<Lowercase<K>, K>;
  for (const key of keys) {
    SPELLING[key.toLowerCase()] = key;
    table[key.toLowerCase() as Lowercase<K>] = key;
  }
  return table;
}

export function parseBoolean(entry: IniEntry, file: string): boolean {
  const value = entry.value.toLowerCase();
  if (['yes', 'true', 'on', '1'].includes(value)) return true;
  if (['no', 'false', 'off', '0'].includes(value)) return false;
  throw configError(file, entry.line, `${entry.key} must be yes or no`);
}

export function parseNumber(entry: IniEntry, file: string, min: number, max: number): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(entry.value) || Number(entry.value) < min || Number(entry.value) > max) {
    throw configError(file, entry.line, `${entry.key} must be a whole number from ${min} to ${max}`);
  }
  return Number(entry.value);
}

export function parseCidrValue(entry: IniEntry, file: string): Cidr {
  const cidr = parseCidr(entry.value);
  if (cidr === undefined) throw configError(file, entry.line, `${entry.key} must be an IPv4 or IPv6 address with an optional /prefix`);
  return cidr;
}

/** An address without prefix, in the form ip(8) prints. */
export function parseAddressValue(entry: IniEntry, file: string): { family: Family; address: string } {
  const parsed = parseAddress(entry.value);
  if (parsed === undefined) throw configError(file, entry.line, `${entry.key} must be an IPv4 or IPv6 address`);
  return { family: parsed.family, address: addressText(parsed.family, parsed.bytes) };
}

export function parseChoice<T extends string>(entry: IniEntry, file: string, choices: readonly T[]): T {
  const value = entry.value.toLowerCase();
  const found = choices.find((choice) => choice === value);
  if (found === undefined) throw configError(file, entry.line, `${entry.key} must be one of ${choices.join(', ')}`);
  return found;
}
