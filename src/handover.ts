// The caller's own environment, carried across self-elevation as data.
//
// sudo and pkexec give the elevated netns-run an environment of their own
// (sudo's env_reset and secure_path, pkexec's fixed few), so a desktop
// command started by `netns-run wg -- firefox` would lose WAYLAND_DISPLAY,
// DBUS_SESSION_BUS_ADDRESS and ~/bin on PATH. Asking sudo to keep the
// environment would be worse: whatever it keeps reaches root's Node before
// any of our code runs (NODE_OPTIONS, NODE_PATH, ...). So the plain user's
// netns-run writes its environment into a file of its own, names the file
// in --caller-env=FILE, and root reads it as data: it never becomes the
// environment root's Node starts with, and it is then treated exactly as
// a caller's environment always is (split for root's helpers, given back by
// env(1) after the drop).
//
// Root opens the file with the caller's effective ids (so it reaches
// nothing the caller could not), without following a symbolic link, and
// accepts it only if it is a regular file owned by the caller that no one
// else may write or read. Then it removes it, still as the caller: the file
// being gone tells the plain user's netns-run that the elevated one started
// (see elevate.ts), and leaves nothing behind.

import { closeSync, constants, fstatSync, lstatSync, mkdtempSync, openSync, readSync, rmdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { asCaller } from './access.js';
import type { Caller } from './caller.js';
import { NetnsRunError } from './errors.js';

/** The option that names the file; only netns-run's own self-elevation writes it. */
export const CALLER_ENV_OPTION = '--caller-env';

/** Large enough for any real environment (Linux caps argv+env at a quarter of the stack limit, typically 2 MiB). */
const MAX_BYTES = 4 * 1024 * 1024;

/** NAME=VALUE entries separated by NUL bytes, as /proc/PID/environ has them. */
export function encodeEnvironment(env: Readonly<Record<string, string | undefined>>): Buffer {
  const entries = Object.entries(env).filter(([key, value]) => value !== undefined && key !== '' && !key.includes('=') && !key.includes('\0') && !value.includes('\0'));
  return Buffer.from(entries.map(([key, value]) => `${key}=${value}\0`).join(''));
}

export function decodeEnvironment(data: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of data.toString('utf8').split('\0')) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

/** A hand-over written by the plain user's netns-run; remove() when the elevated run has ended. */
export interface Handover {
  readonly file: string;
  /** True while the elevated netns-run has not taken it (it removes the file when it does). */
  untaken(): boolean;
  remove(): void;
}

/**
 * Writes the hand-over in a new 0700 directory of the caller's: the whole
 * environment when `keep` (the policy's keep-env), otherwise nothing, the
 * file then serving only to tell whether the elevated run started.
 */
export function writeHandover(env: Readonly<Record<string, string | undefined>>, keep: boolean): Handover {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'netns-run-'));
  } catch {
    // $TMPDIR is the caller's to set, and may name nothing: /tmp then.
    try {
      dir = mkdtempSync('/tmp/netns-run-');
    } catch (error) {
      throw new NetnsRunError(`cannot write the hand-over for self-elevation in /tmp (${(error as NodeJS.ErrnoException).code}); set TMPDIR to a directory you can write`);
    }
  }
  const file = join(dir, 'caller-env');
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    const data = keep ? encodeEnvironment(env) : Buffer.alloc(0);
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written);
  } finally {
    closeSync(fd);
  }
  return {
    file,
    untaken: () => lstatSync(file, { throwIfNoEntry: false }) !== undefined,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function refused(file: string, why: string): NetnsRunError {
  return new NetnsRunError(`${CALLER_ENV_OPTION}=${file} is refused: ${why}; this option is only for netns-run's own self-elevation`);
}

/**
 * Root's side: the caller's environment from FILE, read and removed as the
 * caller. Empty when the plain user's netns-run handed nothing over.
 */
export function takeHandover(file: string, caller: Caller): Record<string, string> {
  if (!isAbsolute(file)) throw refused(file, 'not an absolute path');
  return asCaller(caller, () => {
    let fd: number;
    try {
      // Non-blocking: a FIFO named here must not hold the run (it is refused below).
      fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw refused(file, code === 'ELOOP' ? 'it is a symbolic link' : code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? `${caller.user} may not read it` : `it cannot be opened (${code})`);
    }
    let data: Buffer;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw refused(file, 'not a regular file');
      if (st.uid !== caller.uid) throw refused(file, `not owned by ${caller.user}`);
      if ((st.mode & 0o077) !== 0) throw refused(file, 'others may read or write it (it must be mode 0600)');
      if (st.nlink !== 1) throw refused(file, 'it has other names (hard links)');
      if (st.size > MAX_BYTES) throw refused(file, 'too large');
      data = Buffer.alloc(st.size);
      let read = 0;
      while (read < data.length) {
        const n = readSync(fd, data, read, data.length - read, read);
        if (n === 0) break;
        read += n;
      }
      data = data.subarray(0, read);
    } finally {
      closeSync(fd);
    }
    unlinkSync(file);
    // And the directory writeHandover made for it, when netns-run went away after exec'ing sudo.
    if (basename(dirname(file)).startsWith('netns-run-')) {
      try {
        rmdirSync(dirname(file));
      } catch {
        // not empty, or not the caller's to remove: left as it is
      }
    }
    return decodeEnvironment(data);
  });
}
