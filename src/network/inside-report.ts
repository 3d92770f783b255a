// What --status and --json say about the [Sysctl], [Nftables], [Nscd] and
// [Hook] parts of network.conf: read from the records netns-run keeps of
// what it applied (root's alone), so it runs no helper. Nothing when
// network.conf was not applied to the namespace as it is now.

import { readFileSync } from 'node:fs';
import { namespaceId } from '../ensure/inspect.js';
import type { NamespacePaths } from '../name.js';
import { recordedDownHooks } from './hooks.js';
import { readInsideRecord, type InsideRecord } from './inside.js';
import { isRecordedNscd, readNscdRecord } from './nscd-record.js';

export interface InsideReport {
  readonly sysctl: InsideRecord['sysctl'];
  readonly ruleset?: string;
  readonly tables: readonly string[];
  readonly nscd?: { readonly program: string; readonly pid: number; readonly running: boolean };
  /** "WHERE PROGRAM" of each down hook --down will run, in order. */
  readonly downHooks: readonly string[];
}

function appliedHere(paths: NamespacePaths): boolean {
  let made = '';
  try {
    made = readFileSync(paths.networkMade, 'utf8');
  } catch {
    return false;
  }
  const id = namespaceId(paths.netns);
  return id !== undefined && made.split(' ')[0] === id;
}

export function describeInside(paths: NamespacePaths): InsideReport | undefined {
  if (!appliedHere(paths)) return undefined;
  const record = readInsideRecord(paths);
  if (record === undefined) return undefined;
  const nscd = readNscdRecord(paths);
  return {
    sysctl: record.sysctl,
    ...(record.ruleset !== undefined ? { ruleset: record.ruleset } : {}),
    tables: record.tables,
    ...(nscd !== undefined ? { nscd: { program: nscd.program, pid: nscd.pid, running: isRecordedNscd(nscd) } } : {}),
    downHooks: recordedDownHooks(paths),
  };
}

/** The rows of --status: a few lines, one a part. */
export function formatInside(report: InsideReport): [string, string][] {
  const set = report.sysctl.filter((s) => s.state === 'set').map((s) => `${s.key}=${s.value}`);
  const ignored = report.sysctl.filter((s) => s.state === 'ignored').map((s) => s.key);
  const rows: [string, string][] = [['sysctl', `${set.join(', ') || 'none'}${ignored.length > 0 ? `; ignored (not in a namespace): ${ignored.join(', ')}` : ''}`]];
  if (report.ruleset !== undefined) rows.push(['nftables', `${report.ruleset} loaded: ${report.tables.map((t) => `table ${t}`).join(', ') || 'no table'}`]);
  if (report.nscd !== undefined) {
    rows.push(['nscd', report.nscd.running ? `${report.nscd.program} running (PID ${report.nscd.pid})` : `${report.nscd.program} is not running (PID ${report.nscd.pid} ended); the next run or --ensure starts it again`]);
  }
  if (report.downHooks.length > 0) rows.push(['down hooks', report.downHooks.join(', ')]);
  return rows;
}
