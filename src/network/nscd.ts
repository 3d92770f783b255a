// [Nscd] of network.conf: a name service cache of the namespace's own. The
// kept mount namespace binds NAME's nscd directory (name.ts covered list)
// over /run/nscd, so that the host's nscd, which would look names up in the
// host's network, is out of reach inside. An nscd started in the network
// namespace and that mount namespace puts its socket there: passwd and group
// lookups through nscd work again inside, and whatever it resolves, it
// resolves from inside.
//
// Like wireguard-go (wireguard.ts): started in the foreground (-d, which
// unscd and glibc's nscd both take), in its own session, recorded with its
// PID and start time, and ended by --down only once /proc shows that PID is
// still that very program.

import { lstatSync, rmSync } from 'node:fs';
import { NetnsRunError } from '../errors.js';
import { HELPER_ENV, startDaemon } from '../helpers.js';
import type { NamespacePaths } from '../name.js';
import { findTools } from '../tools.js';
import type { NscdSpec } from './conf/inside.js';
import type { NetworkSetup, NetworkTeardown } from './context.js';
import { programProblem } from '../trust.js';
import { alive, processStat, sleepMs } from './processes.js';
import { isRecordedNscd, NSCD_RECORD as RECORD, readNscdRecord, type NscdRecord } from './nscd-record.js';
import { removeStateRecord, writeStateRecord } from './state-record.js';

export function checkNscdProgram(spec: NscdSpec, file: string): void {
  const problem = programProblem(spec.program);
  if (problem !== undefined) {
    const install = problem === 'does not exist' ? '; install unscd (or nscd), or set Program=' : '';
    throw new NetnsRunError(`${file}:${spec.line}: the nscd program ${spec.program} ${problem}${install}`);
  }
}

/** The directory bound over /run/nscd inside: where the namespace's nscd puts its socket. */
export function nscdDir(paths: NamespacePaths): string {
  return paths.covered.find((cover) => cover.key === 'nscd')!.source;
}

const START_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 3_000;

export function startNscd({ paths, conf, undo }: NetworkSetup): void {
  const spec = conf.nscd;
  if (spec === undefined) return;
  checkNscdProgram(spec, conf.file);
  launchNscd(paths, spec.program, undo, `see ${conf.file}:${spec.line}`);
}

/**
 * The nscd of NAME again, where the one netns-run started has died: from
 * its record, as forwards are (an edit of the file stays --ensure's to
 * apply). Should this fail, the old record is put back, so that the next
 * run tries again and --down still knows of it.
 */
export function restartDeadNscd(paths: NamespacePaths, undo: NetworkSetup['undo']): void {
  const record = readNscdRecord(paths);
  if (record === undefined || isRecordedNscd(record)) return;
  // The record is root's, but the program it names is judged again: it runs as root.
  const problem = programProblem(record.program);
  if (problem !== undefined) throw new NetnsRunError(`cannot start the nscd of ${paths.name} again: ${record.program} ${problem}; netns-run --down ${paths.name} ends what is left`);
  launchNscd(paths, record.program, undo, `it ran for ${paths.name} before and died`, record);
}

/** Starts PROGRAM as NAME's nscd and waits for its socket; PREVIOUS is the record a rollback puts back. */
function launchNscd(paths: NamespacePaths, program: string, undo: NetworkSetup['undo'], whence: string, previous?: NscdRecord): void {
  const tools = findTools(['nsenter'] as const);
  const socket = `${nscdDir(paths)}/socket`;
  // What an nscd of an older namespace (or the dead one) left: the new one binds its own.
  rmSync(socket, { force: true });
  // nsenter execs, so the PID is nscd's.
  const pid = startDaemon(tools.nsenter, [`--net=${paths.netns}`, `--mount=${paths.mntns}`, '--', program, '-d'], { env: HELPER_ENV });
  undo.push(`stopping nscd ${pid}`, () => {
    // Still our unreaped child here, so the PID cannot have been reused.
    if (alive(pid)) process.kill(pid, 'SIGTERM');
  });
  const stat = processStat(pid);
  if (stat === undefined) throw new NetnsRunError(`starting ${program} in ${paths.name} failed: it exited at once (${whence})`);
  // Recorded before it is known to work: --down must find it whatever happens next.
  writeStateRecord(paths, RECORD, { program, pid, startTime: stat.startTime } satisfies NscdRecord, undo);
  undo.push(previous === undefined ? 'removing the nscd record' : 'putting back the record of the dead nscd', () =>
    previous === undefined ? removeStateRecord(paths, RECORD) : writeStateRecord(paths, RECORD, previous),
  );
  const until = Date.now() + START_TIMEOUT_MS;
  while (lstatSync(socket, { throwIfNoEntry: false })?.isSocket() !== true) {
    if (!alive(pid)) throw new NetnsRunError(`starting ${program} in ${paths.name} failed: it exited before making its socket (${whence})`);
    if (Date.now() > until) throw new NetnsRunError(`starting ${program} in ${paths.name} failed: no socket at ${socket} after ${START_TIMEOUT_MS / 1000} s`);
    sleepMs(5);
  }
}

export function stopNscd({ paths, notes }: NetworkTeardown): void {
  const record = readNscdRecord(paths);
  if (record !== undefined && isRecordedNscd(record)) {
    process.kill(record.pid, 'SIGTERM');
    const until = Date.now() + STOP_TIMEOUT_MS;
    while (alive(record.pid) && Date.now() < until) sleepMs(10);
    if (alive(record.pid) && isRecordedNscd(record)) process.kill(record.pid, 'SIGKILL');
    while (alive(record.pid) && Date.now() < until + STOP_TIMEOUT_MS) sleepMs(10);
    if (alive(record.pid)) notes.push(`nscd ${record.pid} of ${paths.name} did not end`);
  }
  rmSync(`${nscdDir(paths)}/socket`, { force: true });
  removeStateRecord(paths, RECORD);
}
