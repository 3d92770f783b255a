// [Sysctl] and [Nftables] of network.conf: settings and a ruleset of the
// namespace's own, applied from inside it (nsenter --net: /proc/sys/net and
// netlink show the namespace of whoever opens them) before any interface
// exists, so that a kill switch stands before the first link does.
//
// Re-applied by --ensure after an edit: the values are simply written
// again, and the tables the last ruleset made are deleted in the same nft
// transaction that loads the new one, so the namespace is never without
// its ruleset, and a second load never doubles a rule.

import { sha256 } from './digest.js';
import { statSync } from 'node:fs';
import { NetnsRunError, oneLine } from '../errors.js';
import { failed, lastLine, runHelper, tryHelper } from '../helpers.js';
import { CONFIG_DIR, type NamespacePaths } from '../name.js';
import { findTools } from '../tools.js';
import { readTrusted } from '../trust.js';
import { DEFAULT_SYSCTL, type SysctlSetting } from './conf/inside.js';
import type { NetworkSetup } from './context.js';
import type { NetworkConf } from './conf/draft.js';
import { checkHookPrograms } from './hooks.js';
import { checkNscdProgram } from './nscd.js';
import { readStateRecord, writeStateRecord } from './state-record.js';

/** What configureInside did, for --ensure's next load and for --status. */
export interface InsideRecord {
  readonly sysctl: readonly { readonly key: string; readonly value: string; readonly state: 'set' | 'ignored' }[];
  /** The ruleset file loaded, if any. */
  readonly ruleset?: string;
  /** "FAMILY NAME" of each table that ruleset made. */
  readonly tables: readonly string[];
}

const RECORD = 'inside.json';

export function readInsideRecord(paths: Pick<NamespacePaths, 'networkState'>): InsideRecord | undefined {
  const record = readStateRecord(paths, RECORD) as InsideRecord | undefined;
  return record !== undefined && Array.isArray(record.sysctl) && Array.isArray(record.tables) ? record : undefined;
}

const RULESET_MAX_BYTES = 1024 * 1024;

/** What an nft "table" line names: families and names as nft prints them. */
const TABLE = /^(ip|ip6|inet|arp|bridge|netdev) [A-Za-z0-9_.-]{1,64}$/;

function sameNamespaceAsOurs(paths: NamespacePaths): boolean {
  try {
    const target = statSync(paths.netns);
    const ours = statSync('/proc/self/ns/net');
    return target.ino === ours.ino && target.dev === ours.dev;
  } catch {
    return false;
  }
}

/**
 * CONF with its ruleset read (as root reads every file it trusts, trust.ts)
 * and counted in its fingerprint. Read once, with network.conf, so that what
 * is loaded is what --ensure compared.
 */
export function withRuleset(conf: NetworkConf, paths: Pick<NamespacePaths, 'configDir'>): NetworkConf {
  if (conf.nftables === undefined) return conf;
  const bytes = readRuleset(paths, conf.nftables.file, `${conf.file}:${conf.nftables.line}`);
  const fingerprint = sha256(conf.fingerprint, bytes);
  return { ...conf, fingerprint, nftables: { ...conf.nftables, bytes } };
}

function readRuleset(paths: Pick<NamespacePaths, 'configDir'>, file: string, confLine: string): Buffer {
  const path = `${paths.configDir}/${file}`;
  const bytes = readTrusted(path, { readers: 'any', maxBytes: RULESET_MAX_BYTES, directories: [CONFIG_DIR, paths.configDir] });
  if (bytes === undefined) throw new NetnsRunError(`${confLine}: the ruleset ${path} does not exist; create it or remove [Nftables]`);
  return bytes;
}

/** nft's first line that says what is wrong, with the file's name for its stdin. */
function nftComplaint(stderr: string, path: string): string {
  const line = stderr.split('\n').find((l) => /Error:/.test(l)) ?? lastLine(stderr);
  return oneLine(line.replaceAll('/dev/stdin', path)).slice(0, 300);
}

/** The tables of the namespace now, as "FAMILY NAME". */
function listTables(nsenter: string, nft: string, paths: NamespacePaths): string[] {
  const out = runHelper(nsenter, [`--net=${paths.netns}`, '--', nft, '-j', 'list', 'tables'], `listing the nftables tables of ${paths.name}`);
  const parsed = JSON.parse(out || '{"nftables":[]}') as { nftables?: { table?: { family: string; name: string } }[] };
  return (parsed.nftables ?? []).flatMap((item) => (item.table === undefined ? [] : [`${item.table.family} ${item.table.name}`])).filter((t) => TABLE.test(t));
}

/** Writes one setting inside; 'ignored' when the namespace has no such key or it is the host's alone (read-only there). */
function writeSysctl(tools: { nsenter: string; sh: string }, paths: NamespacePaths, setting: Omit<SysctlSetting, 'line'>, where: string): 'set' | 'ignored' {
  const file = `/proc/sys/${setting.key.replaceAll('.', '/')}`;
  // The value is an argument, never part of the script.
  const result = tryHelper(tools.nsenter, [`--net=${paths.netns}`, '--', tools.sh, '-c', '[ -e "$1" ] || exit 3; [ -w "$1" ] || exit 4; printf "%s\\n" "$2" > "$1"', 'sh', file, setting.value]);
  if (result.code === 3 || result.code === 4) return 'ignored';
  if (failed(result)) {
    const why = /Invalid argument/.test(result.stderr) ? 'the kernel refused the value' : lastLine(result.stderr) || 'the write failed';
    throw new NetnsRunError(`${where}: setting ${setting.key} = ${setting.value} in ${paths.name} failed: ${why}`);
  }
  return 'set';
}

export function configureInside({ paths, conf, undo }: NetworkSetup): void {
  if (sameNamespaceAsOurs(paths)) throw new NetnsRunError(`${paths.netns} is netns-run's own network namespace; network.conf is applied only to another`);
  // Everything root will read or run is judged first: a bad one makes nothing more.
  checkHookPrograms(conf);
  if (conf.nscd !== undefined) checkNscdProgram(conf.nscd, conf.file);
  const previous = readInsideRecord(paths);
  const needsNft = conf.nftables !== undefined || (previous?.tables.length ?? 0) > 0;
  const tools = { ...findTools(['nsenter', 'sh', 'unshare'] as const), ...(needsNft ? findTools(['nft'] as const) : {}) };
  let ruleset: { path: string; bytes: Buffer } | undefined;
  if (conf.nftables !== undefined) {
    const where = `${conf.file}:${conf.nftables.line}`;
    const path = `${paths.configDir}/${conf.nftables.file}`;
    ruleset = { path, bytes: conf.nftables.bytes ?? readRuleset(paths, conf.nftables.file, where) };
    // Checked against a throwaway namespace's kernel: nothing is committed anywhere.
    const check = tryHelper(tools.unshare, ['--net', '--', tools.nft!, '-c', '-f', '-'], { input: ruleset.bytes });
    if (failed(check)) throw new NetnsRunError(`${path}: nft refused the ruleset: ${nftComplaint(check.stderr, path) || 'nft -c failed'}`);
  }

  const sysctl: { key: string; value: string; state: 'set' | 'ignored' }[] = [];
  const settings = [...DEFAULT_SYSCTL.map((s) => ({ ...s, where: `${conf.file} (netns-run's default)` })), ...conf.sysctl.map((s) => ({ ...s, where: `${conf.file}:${s.line}` }))];
  for (const setting of settings) {
    const state = writeSysctl(tools, paths, setting, setting.where);
    if (state === 'ignored') process.stderr.write(`netns-run: ${paths.name}: note: ${oneLine(setting.where)}: ${setting.key} is not a setting of a network namespace here; ignored\n`);
    sysctl.push({ key: setting.key, value: setting.value, state });
  }

  let tables: string[] = [];
  if (needsNft) {
    const nft = tools.nft!;
    const old = (previous?.tables ?? []).filter((t) => TABLE.test(t));
    const before = new Set(listTables(tools.nsenter, nft, paths).filter((t) => !old.includes(t)));
    // "add" then "delete": deleting a table that is gone already does not fail the transaction.
    const removal = old.map((t) => `add table ${t}\ndelete table ${t}\n`).join('');
    const text = Buffer.concat([Buffer.from(removal), ruleset?.bytes ?? Buffer.alloc(0), Buffer.from('\n')]);
    const load = tryHelper(tools.nsenter, [`--net=${paths.netns}`, '--', nft, '-f', '-'], { input: text });
    if (failed(load)) throw new NetnsRunError(`loading ${ruleset?.path ?? 'the ruleset'} in ${paths.name} failed: ${nftComplaint(load.stderr, ruleset?.path ?? 'ruleset')}`);
    tables = listTables(tools.nsenter, nft, paths).filter((t) => !before.has(t));
  }
  const record: InsideRecord = { sysctl, tables, ...(ruleset !== undefined ? { ruleset: ruleset.path } : {}) };
  writeStateRecord(paths, RECORD, record, undo);
}
