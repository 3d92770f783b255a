// V8's code cache for netns-run's own bundle, kept where only root can
// write. Compiling the bundle's functions is about half of what netns-run's
// own code costs on a warm run; V8 can instead load the compiled code it
// produced last time (vm.Script cachedData, created after a run, so that
// it holds every function that run compiled; Node's module.enableCompileCache
// holds only top-level code and saved almost nothing here).
//
// The cache is code that root runs. Whoever can write it can run anything
// as root, so it is read and written only by a process whose user and group
// ids are all root, only in a directory that it and every directory above
// it are real directories (no symlinks), owned by root and writable by no
// one else, and only from a regular file owned by root and writable by no
// one else, opened without following symlinks. Anything else: no cache, and
// the bundle is compiled as usual. A cache file is named by the Node version
// and by the bundle file's identity (device, inode, size, change time), so
// a bundle that changes in any way (an upgrade, an edit) never meets the
// code compiled from another; V8 itself also refuses code cached by another
// V8 or with other flags (then the cache is made anew).

import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync, type BigIntStats } from 'node:fs';
import { chainTrusted, fileProblem, readWhole } from './trust.js';
import { dirname, join } from 'node:path';

export const CACHE_DIR = '/var/cache/netns-run';
const MAX_CACHE_BYTES = 16 * 1024 * 1024;
const SUFFIX = '.v8';
/** Cache files kept for one Node version (installs and builds), the newest first. */
const KEEP = 4;

export interface Ids {
  readonly uid: number;
  readonly euid: number;
  readonly gid: number;
  readonly egid: number;
}

export function currentIds(): Ids {
  return { uid: process.getuid!(), euid: process.geteuid!(), gid: process.getgid!(), egid: process.getegid!() };
}

/** Root in every respect: not a setuid or setgid start, not a plain user. */
export function mayUseCache(ids: Ids): boolean {
  return ids.uid === 0 && ids.euid === 0 && ids.gid === ids.egid;
}

/** path and every directory above it: real directories, owned by root, writable by root alone (src/trust.ts). */
export const trustedDirectory = chainTrusted;

/** The cache directory, made (mode 0700) if missing; undefined when it is not trusted. */
export function cacheDirectory(dir = CACHE_DIR): string | undefined {
  // Every run but the first finds it: checked once, no mkdir (and no EEXIST exception).
  if (lstatSync(dir, { throwIfNoEntry: false }) !== undefined) return trustedDirectory(dir) ? dir : undefined;
  if (!trustedDirectory(dirname(dir))) return undefined;
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
  }
  return trustedDirectory(dir) ? dir : undefined;
}

/** The name of the cache for this bundle file (as fstat saw it) and this Node. */
export function cacheName(bundle: Pick<BigIntStats, 'dev' | 'ino' | 'size' | 'ctimeNs'>, version = process.version, arch = process.arch): string {
  return `${version}-${arch}-${bundle.dev}-${bundle.ino}-${bundle.size}-${bundle.ctimeNs}${SUFFIX}`;
}

/** The cached code, or undefined if there is none or it is not a root-only regular file. */
export function readCache(dir: string, name: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (fileProblem(st, { readers: 'any', maxBytes: MAX_CACHE_BYTES }) !== undefined) return undefined;
    return readWhole(fd, st.size);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Stores data as name, atomically (a new file renamed into place), and
 * removes all but the newest few files this Node cached for other bundles.
 * Never throws: a cache that cannot be written is no cache.
 */
export function writeCache(dir: string, name: string, data: Buffer): boolean {
  const temporary = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      for (let written = 0; written < data.length; ) written += writeSync(fd, data, written);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, join(dir, name));
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // never made
    }
    return false;
  }
  // Each install (and each build) has its own file; the most recently
  // written few of this Node's are kept, so that two installs used in turn
  // do not undo each other's, and upgrades do not pile up.
  const prefix = `${process.version}-${process.arch}-`;
  try {
    const ours = readdirSync(dir)
      .filter((entry) => entry !== name && entry.startsWith(prefix) && entry.endsWith(SUFFIX))
      .map((entry) => ({ entry, time: lstatSync(join(dir, entry)).mtimeMs }))
      .sort((a, b) => b.time - a.time);
    for (const { entry } of ours.slice(KEEP - 1)) unlinkSync(join(dir, entry));
  } catch {
    // an old file left over costs only space
  }
  return true;
}
