// The records of the [Forward]s netns-run made for a namespace
// (networkState/forwards/N.json, one a forward): what --down ends, what
// --status shows, and what a run reads to notice a proxy that died. Only
// reading here: a run's look at the namespace (ensure/inspect.ts) imports
// this, and nothing of the set-up.

import { readdirSync, readFileSync } from 'node:fs';
import type { NamespacePaths } from '../name.js';
import type { Endpoint, ForwardSpec } from './conf/forwards.js';
import { processStat } from './processes.js';

/** What netns-run made for one forward, so that --down ends exactly that. */
export interface ForwardRecord {
  readonly direction: ForwardSpec['direction'];
  readonly protocol: ForwardSpec['protocol'];
  readonly listen: Endpoint;
  readonly connect: Endpoint;
  /** network.conf's line of its [Forward] when it was made. */
  readonly line: number;
  /** dnat: rules in NAME's table on the host (links.ts makes and removes them), no process; absent: a proxy process. */
  readonly route?: 'dnat';
  /** In the proxy's environment as NETNS_RUN_FORWARD: finds it when a crash cut the record short of its PID. */
  readonly tag: string;
  /** The program that carries a proxy: systemd-socket-proxyd or node. */
  readonly program?: string;
  readonly pid?: number;
  /** /proc/PID/stat field 22: a PID alone may be reused. */
  readonly startTime?: string;
}

export function forwardsDir(paths: Pick<NamespacePaths, 'networkState'>): string {
  return `${paths.networkState}/forwards`;
}

const TAG = /^[0-9a-f]{16}$/;

/**
 * An endpoint of the shape netns-run writes, and nothing else: a restart
 * hands it to perl and the proxy as arguments. Checked by shape, not by
 * conf/forwards.ts's parser: this module is on the warm path.
 */
function isEndpoint(value: unknown): value is Endpoint {
  const endpoint = value as Endpoint | null;
  if (typeof endpoint !== 'object' || endpoint === null || typeof endpoint.address !== 'string') return false;
  const shape = endpoint.family === 4 ? /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/ : endpoint.family === 6 ? /^[0-9a-f:]*:[0-9a-f:.]*$/ : undefined;
  return shape !== undefined && shape.test(endpoint.address) && Number.isInteger(endpoint.port) && endpoint.port >= 1 && endpoint.port <= 65535;
}

function wellFormed(record: ForwardRecord): boolean {
  return typeof record.tag === 'string' && TAG.test(record.tag) && (record.direction === 'in' || record.direction === 'out') &&
    (record.protocol === 'tcp' || record.protocol === 'udp') && isEndpoint(record.listen) && isEndpoint(record.connect) &&
    Number.isInteger(record.line) && (record.route === undefined || record.route === 'dnat');
}

export function readForwardRecords(paths: Pick<NamespacePaths, 'networkState'>): { name: string; record: ForwardRecord }[] {
  const dir = forwardsDir(paths);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const found: { name: string; record: ForwardRecord }[] = [];
  for (const entry of entries.filter((e) => /^[0-9]+\.json$/.test(e)).sort((a, b) => parseInt(a, 10) - parseInt(b, 10))) {
    try {
      const record = JSON.parse(readFileSync(`${dir}/${entry}`, 'utf8')) as ForwardRecord;
      if (wellFormed(record)) found.push({ name: entry.replace(/\.json$/, ''), record });
    } catch {
      // cut short by a crash: its process, if any, carries no record to end it by; the tag search needs one
    }
  }
  return found;
}

/**
 * Does the forward of RECORD carry traffic as far as its record tells? A
 * DNAT forward has no process (its rules stand with the links' table); a
 * proxy runs while its PID shows the recorded start time. For --status
 * too, a user's: the tag in the environment of nobody's process is root's
 * to read, and the start time alone already tells a reused PID apart.
 */
export function forwardRuns(record: ForwardRecord): boolean {
  if (record.route === 'dnat') return true;
  if (record.pid === undefined) return false;
  const stat = processStat(record.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTime === record.startTime;
}

/** Has a proxy of NAME's died (or a crash left one unrecorded)? A run or --ensure starts it again. */
export function hasDeadForward(paths: Pick<NamespacePaths, 'networkState'>): boolean {
  return readForwardRecords(paths).some(({ record }) => !forwardRuns(record));
}
