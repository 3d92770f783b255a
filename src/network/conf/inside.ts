// [Sysctl], [Nftables], [Hook], [Nscd]: what is set and run inside the
// namespace (issue 14, items 5-8). Pure: what root may run or read is judged
// when it is applied (network/inside.ts, hooks.ts, nscd.ts), on the file itself.

import { configError, knownKeys, parseBoolean, parseChoice, parseNumber, sectionValues, type IniEntry, type IniSection } from '../ini.js';
import type { SectionParser } from './draft.js';

export interface SysctlSetting {
  /** Dotted form: net.ipv4.ping_group_range */
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface NftablesSpec {
  /** A ruleset file in the configuration directory, loaded inside before any interface exists. */
  readonly file: string;
  readonly line: number;
  /** Its bytes, as read when network.conf was (network/inside.ts withRuleset); absent from a parse alone. */
  readonly bytes?: Buffer;
}

export interface HookSpec {
  readonly when: 'up' | 'down';
  readonly where: 'host' | 'inside';
  /** An absolute path to an executable that root alone can change, and its arguments (no shell). */
  readonly argv: readonly string[];
  /** Killed (SIGKILL) after this long. */
  readonly timeoutSeconds: number;
  readonly line: number;
}

export interface NscdSpec {
  /** The daemon, started as PROGRAM -d (foreground: both unscd and glibc's nscd take it). */
  readonly program: string;
  readonly line: number;
}

/** /proc/sys/KEY with dots for slashes: nothing that leaves /proc/sys/net. */
const SYSCTL_KEY = /^net(\.[a-z0-9_-]+)+$/;
const SYSCTL_VALUE = /^[\x20-\x7e]{1,256}$/;

/**
 * What every namespace with a network.conf gets before its own [Sysctl]
 * lines (which may undo it): the caller runs commands as themselves, and a
 * new namespace refuses them unprivileged ICMP (ping_group_range "1 0").
 */
export const DEFAULT_SYSCTL: readonly Omit<SysctlSetting, 'line'>[] = [{ key: 'net.ipv4.ping_group_range', value: '0 2147483647' }];

function parseSysctl(section: IniSection, file: string, draft: { sysctl: SysctlSetting[] }): void {
  for (const entry of section.entries) {
    // Keys are what the kernel spells; the INI reader only lower-cased its copy.
    const key = entry.key.replaceAll('/', '.');
    if (entry.key.includes('/') || entry.key.includes('..') || !SYSCTL_KEY.test(key)) {
      const why = /^net[./]/.test(entry.key) || entry.key.includes('/')
        ? `${entry.key} is no sysctl key netns-run sets: write it with dots, in lower case (net.ipv4.ip_forward)`
        : `${entry.key} is not a setting of the network namespace (only net.* keys are; any other would change the host)`;
      throw configError(file, entry.line, why);
    }
    if (!SYSCTL_VALUE.test(entry.value)) throw configError(file, entry.line, `${entry.key} needs a value of printable characters, at most 256`);
    draft.sysctl.push({ key, value: entry.value.replace(/\s+/g, ' '), line: entry.line });
  }
}

/** A plain file name in /etc/netns-run/NAME; never a WireGuard file (*.conf), nor network.conf itself. */
const RULESET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

function parseNftables(section: IniSection, file: string, draft: { nftables: NftablesSpec | undefined }): void {
  if (draft.nftables !== undefined) throw configError(file, section.line, `[${section.title}] is given twice (first on line ${draft.nftables.line}); the namespace has one ruleset`);
  const values = sectionValues(section, file, { file: 'once' });
  const entry = values.get('file')?.[0];
  if (entry === undefined) throw configError(file, section.line, `[${section.title}] needs File=, the name of a ruleset file beside network.conf`);
  if (!RULESET_NAME.test(entry.value) || entry.value.endsWith('.conf')) {
    throw configError(file, entry.line, `File= must be a plain file name in the same directory, not ending in .conf (those are WireGuard files): killswitch.nft`);
  }
  draft.nftables = { file: entry.value, line: entry.line };
}

/** No shell: words split at blanks; the first an absolute path without . or .. in it. */
export function hookArgv(entry: IniEntry, file: string): string[] {
  const argv = entry.value.split(/[ \t]+/).filter(Boolean);
  const program = argv[0]!;
  if (!program.startsWith('/') || program.split('/').slice(1).some((part) => part === '' || part === '.' || part === '..')) {
    throw configError(file, entry.line, `${entry.key}= must start with the absolute path of the program (/usr/local/sbin/vpn-up), without . or .. in it`);
  }
  if (argv.some((word) => /[\x00-\x1f\x7f]/.test(word))) throw configError(file, entry.line, `${entry.key}= has a control character`);
  if (argv.length > 64) throw configError(file, entry.line, `${entry.key}= has more than 64 words`);
  return argv;
}

function parseHook(section: IniSection, file: string, draft: { hooks: HookSpec[] }): void {
  const values = sectionValues(section, file, { when: 'once', where: 'once', exec: 'once', timeout: 'once' });
  const when = values.get('when')?.[0];
  const exec = values.get('exec')?.[0];
  if (when === undefined || exec === undefined) throw configError(file, section.line, `[${section.title}] needs When= (up or down) and Exec=`);
  const where = values.get('where')?.[0];
  const timeout = values.get('timeout')?.[0];
  draft.hooks.push({
    when: parseChoice(when, file, ['up', 'down'] as const),
    where: where === undefined ? 'host' : parseChoice(where, file, ['host', 'inside'] as const),
    argv: hookArgv(exec, file),
    timeoutSeconds: timeout === undefined ? 30 : parseNumber(timeout, file, 1, 3600),
    line: section.line,
  });
}

export const DEFAULT_NSCD = '/usr/sbin/nscd';

function parseNscd(section: IniSection, file: string, draft: { nscd: NscdSpec | undefined }): void {
  if (draft.nscd !== undefined) throw configError(file, section.line, `[${section.title}] is given twice (first on line ${draft.nscd.line}); keep one`);
  const values = sectionValues(section, file, { enable: 'once', program: 'once' });
  const enable = values.get('enable')?.[0];
  if (enable !== undefined && !parseBoolean(enable, file)) return;
  const program = values.get('program')?.[0];
  if (program !== undefined && hookArgv(program, file).length !== 1) throw configError(file, program.line, 'Program= is the path of the nscd program alone, without arguments');
  draft.nscd = { program: program?.value ?? DEFAULT_NSCD, line: section.line };
}

// The documented spellings, for messages.
knownKeys('File', 'When', 'Where', 'Exec', 'Timeout', 'Enable', 'Program');

export const INSIDE_SECTIONS: Readonly<Record<string, SectionParser>> = {
  sysctl: parseSysctl,
  nftables: parseNftables,
  hook: parseHook,
  nscd: parseNscd,
};
