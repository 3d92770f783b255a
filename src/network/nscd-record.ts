// The record of the nscd netns-run started for a namespace ([Nscd] of
// network.conf): what --down ends, what --status shows, and what a run
// reads to notice an nscd that died. Only reading here: a run's look at the
// namespace (ensure/inspect.ts) imports this, and nothing of the set-up.

import { readlinkSync } from 'node:fs';
import type { NamespacePaths } from '../name.js';
import { processStat } from './processes.js';
import { readStateRecord } from './state-record.js';

export const NSCD_RECORD = 'nscd.json';

export interface NscdRecord {
  readonly program: string;
  readonly pid: number;
  readonly startTime: string;
}

export function readNscdRecord(paths: Pick<NamespacePaths, 'networkState'>): NscdRecord | undefined {
  const record = readStateRecord(paths, NSCD_RECORD) as NscdRecord | undefined;
  if (record === undefined || record === null || !Number.isInteger(record.pid) || record.pid <= 1 || typeof record.startTime !== 'string' || typeof record.program !== 'string' || !record.program.startsWith('/')) return undefined;
  return record;
}

/** Is RECORD's PID still that nscd: the same start time and the same program? */
export function isRecordedNscd(record: NscdRecord): boolean {
  const stat = processStat(record.pid);
  if (stat === undefined || stat.startTime !== record.startTime || stat.state === 'Z') return false;
  try {
    return readlinkSync(`/proc/${record.pid}/exe`) === record.program;
  } catch {
    return false;
  }
}

/** An nscd netns-run started for NAME has ended: a run starts it again. One read of a mostly absent file. */
export function hasDeadNscd(paths: Pick<NamespacePaths, 'networkState'>): boolean {
  const record = readNscdRecord(paths);
  return record !== undefined && !isRecordedNscd(record);
}
