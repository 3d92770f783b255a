// The records parts of network.conf keep under NamespacePaths.networkState:
// what they made, so that --down and --ensure remove exactly that, whatever
// the file says by then. JSON, replaced whole (a new file renamed over the
// old), in a directory root's alone.

import { closeSync, constants, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { NetnsRunError } from '../errors.js';
import type { NamespacePaths } from '../name.js';

/** The part of Undo a record needs. */
interface Rollback {
  push(what: string, action: () => void): void;
}

function stateDir(paths: Pick<NamespacePaths, 'networkState'>, undo: Rollback | undefined): string {
  try {
    mkdirSync(paths.networkState, { mode: 0o700 });
    // Made by this call: a rollback leaves the state directory as it found it.
    undo?.push(`removing ${paths.networkState}`, () => rmSync(paths.networkState, { recursive: true, force: true }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new NetnsRunError(`cannot create ${paths.networkState}: ${(error as Error).message}`);
  }
  const st = lstatSync(paths.networkState);
  if (!st.isDirectory() || st.uid !== 0) throw new NetnsRunError(`${paths.networkState} is not a directory of root's; remove it and try again`);
  return paths.networkState;
}

export function recordFile(paths: Pick<NamespacePaths, 'networkState'>, name: string): string {
  return `${paths.networkState}/${name}`;
}

export function writeStateRecord(paths: Pick<NamespacePaths, 'networkState'>, name: string, value: unknown, undo?: Rollback): void {
  writeRecordFile(`${stateDir(paths, undo)}/${name}`, value, 0o600);
}

/** VALUE as JSON at PATH, replaced whole (a new file renamed over the old): a crash leaves the old record or the new one, never half of one. */
export function writeRecordFile(path: string, value: unknown, mode: number): void {
  const fd = openSync(`${path}.new`, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, mode);
  try {
    writeSync(fd, `${JSON.stringify(value)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(`${path}.new`, path);
}

/** The record, or undefined if there is none or it is not JSON (a crash cut it short). */
export function readStateRecord(paths: Pick<NamespacePaths, 'networkState'>, name: string): unknown {
  try {
    return JSON.parse(readFileSync(recordFile(paths, name), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function removeStateRecord(paths: Pick<NamespacePaths, 'networkState'>, name: string): void {
  rmSync(recordFile(paths, name), { force: true });
  rmSync(`${recordFile(paths, name)}.new`, { force: true });
}

