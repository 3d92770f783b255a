// The one place that judges whether root may act on a file: the way sudo
// trusts sudoers. A file root reads (the policy, the resolver files, a
// WireGuard configuration, the code cache) or runs (a helper) is trusted only
// if root alone could have put it there: it and the directories named with
// it are owned by root and writable by no one else, it is a real file (a
// symlink could lead to /etc/shadow), and all of that is judged on the
// descriptor that is then read, so it cannot be swapped in between. What
// differs between files is who must be able to read it: everyone (a file
// that is read inside the namespace by any user), root alone (one that holds
// a private key), or it does not matter.

import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { NetnsRunError } from './errors.js';

interface Owned {
  readonly uid: number | bigint;
  readonly mode: number | bigint;
}

/** Only root can change it: owned by root, writable by neither group nor others. */
export function rootOnlyWritable(st: Owned): boolean {
  return Number(st.uid) === 0 && (Number(st.mode) & 0o022) === 0;
}

export type Readers = 'everyone' | 'root' | 'any';

/** What a file must be, besides root's alone to change. */
export interface FileRule {
  readonly readers: Readers;
  readonly maxBytes: number;
}

/** Why a file (as fstat saw it) may not be trusted under rule, in words with the fix; undefined if it may. */
export function fileProblem(st: Owned & { isFile(): boolean; readonly size: number | bigint }, rule: FileRule): string | undefined {
  if (!st.isFile()) return 'is not a regular file; make it one';
  if (!rootOnlyWritable(st)) return 'must be owned by root and writable by no one else; fix its owner and mode (chown root: ; chmod go-w)';
  const mode = Number(st.mode);
  if (rule.readers === 'everyone' && (mode & 0o004) === 0) return 'must be readable by everyone, as it is read inside the namespace; chmod 644 it';
  if (rule.readers === 'root' && (mode & 0o077) !== 0) return 'holds a private key and must be readable by root alone; chmod 600 it';
  if (Number(st.size) > rule.maxBytes) return `is larger than ${rule.maxBytes} bytes, too large for what it should hold; fix it`;
  return undefined;
}

/** Why a directory (as lstat saw it: a symlink is no directory) may not be trusted; undefined if it may. */
export function directoryProblem(st: Owned & { isDirectory(): boolean }): string | undefined {
  if (!st.isDirectory()) return 'must be a real directory, not a symbolic link or a file';
  if (!rootOnlyWritable(st)) return 'must be a directory owned by root and writable by no one else; fix its owner and mode (chown root: ; chmod go-w)';
  return undefined;
}

/**
 * Makes PATH (0700) or finds it made, for what root alone may see or change
 * (WireGuard's control sockets and the records of what was made): a real
 * directory owned by root that no one else may read, write or enter.
 * Anything else found there is refused, never used or repaired.
 */
export function makePrivateDir(path: string): void {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new NetnsRunError(`cannot create ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
  const st = lstatSync(path);
  if (directoryProblem(st) !== undefined || (st.mode & 0o077) !== 0) throw new NetnsRunError(`${path} is not a directory only root can use; remove it and try again`);
}

/** Checks directories (each by lstat); 'missing' if one does not exist, so that the file in it does not either. */
export function checkDirectories(directories: readonly string[]): 'present' | 'missing' {
  for (const dir of directories) {
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (st === undefined) return 'missing';
    const problem = directoryProblem(st);
    if (problem !== undefined) throw new NetnsRunError(`${dir} ${problem}`);
  }
  return 'present';
}

/** path and every directory above it, up to /: what root runs must be beyond anyone else's reach all the way. */
export function chainTrusted(path: string): boolean {
  for (let current = path; ; current = dirname(current)) {
    const st = lstatSync(current, { throwIfNoEntry: false });
    if (st === undefined || directoryProblem(st) !== undefined) return false;
    if (current === dirname(current)) return true;
  }
}

/**
 * The bytes of a file root may trust under rule, or undefined if it (or one
 * of the directories) does not exist. Anything else is one line naming the
 * file and the fix. Opened without following a symlink and without blocking
 * on a FIFO; judged on that descriptor; read whole.
 */
export function readTrusted(path: string, rule: FileRule & { readonly directories: readonly string[] }): Buffer | undefined {
  if (checkDirectories(rule.directories) === 'missing') return undefined;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new NetnsRunError(`${path} is a symbolic link; netns-run uses only a real file owned by root there (replace the link with a copy)`);
    throw new NetnsRunError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    const problem = fileProblem(st, rule);
    if (problem !== undefined) throw new NetnsRunError(`${path} ${problem}`);
    return readWhole(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

/** size bytes from fd, in as few reads as the kernel allows; fewer if the file ends sooner. */
export function readWhole(fd: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const read = readSync(fd, buffer, filled, size - filled, null);
    if (read === 0) break;
    filled += read;
  }
  return filled === size ? buffer : buffer.subarray(0, filled);
}

/** Why root may not run PROGRAM (a hook, an nscd, a program outside TRUSTED_PATH), or undefined if it may: a real executable file, root's alone, in directories root's alone up to /. */
export function programProblem(program: string): string | undefined {
  const found = lstatSync(program, { throwIfNoEntry: false });
  if (found === undefined) return 'does not exist';
  if (!found.isFile()) return 'is not a regular file (give the real path, not a symbolic link)';
  if (!rootOnlyWritable(found)) return 'must be owned by root and writable by no one else (chown root: ; chmod go-w)';
  if ((found.mode & 0o111) === 0) return 'is not executable';
  if (!chainTrusted(dirname(program))) return 'is in a directory that is a symbolic link or that someone other than root can change (give the real path)';
  return undefined;
}
