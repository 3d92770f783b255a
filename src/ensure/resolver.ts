import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { defaultResolvConf, namespaceNsswitch } from '../defaults.js';
import { NetnsRunError } from '../errors.js';
import type { NamespacePaths } from '../name.js';
import { FROM_TUNNEL_HEADER } from '../network/files.js';
import { readTrusted as readTrustedFile } from '../trust.js';
import type { Undo } from './undo.js';

const MAX_FILE_BYTES = 64 * 1024;

/** Bytes, not text: a resolver file is passed through exactly, whatever its encoding. */
function readSmall(path: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new NetnsRunError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (bytes.byteLength > MAX_FILE_BYTES) throw new NetnsRunError(`${path} is larger than ${MAX_FILE_BYTES} bytes; it cannot be a resolver file, fix it`);
  return bytes;
}

/** Creates a file only if it is not there: O_EXCL, never following a symlink planted in its place; all of it or nothing. */
function createOnce(path: string, content: string | Buffer, undo: Undo): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new NetnsRunError(`cannot create ${path}: ${(error as Error).message}`);
  }
  undo.push(`remove ${path}`, () => unlinkSync(path));
  try {
    writeAll(fd, typeof content === 'string' ? Buffer.from(content) : content, path);
  } finally {
    closeSync(fd);
  }
}

function makeDir(path: string, undo: Undo): void {
  try {
    mkdirSync(path, { mode: 0o755 });
    undo.push(`remove ${path}`, () => rmdirSync(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new NetnsRunError(`cannot create ${path}: ${(error as Error).message}`);
  }
}

/** fromTunnel: the resolv.conf a WireGuard file's DNS = asks for, which then replaces the public defaults. */
export function writeDefaultResolvConf(paths: NamespacePaths, undo: Undo, fromTunnel?: string): void {
  makeDir('/etc/netns', undo);
  makeDir(paths.etcDir, undo);
  createOnce(paths.resolvConf, fromTunnel ?? defaultResolvConf(paths.name), undo);
}

/**
 * A tunnel's DNS = replaces the resolv.conf netns-run wrote itself (its
 * public defaults, or an earlier tunnel's servers), so that a namespace
 * made before its tunnel uses the provider's resolvers too; a file the
 * administrator wrote is theirs and stays. Written whole and renamed into
 * place. Returns true when it changed the file.
 */
export function adoptTunnelResolvConf(paths: NamespacePaths, fromTunnel: string | undefined, undo: Undo): boolean {
  if (fromTunnel === undefined) return false;
  const now = readSmall(paths.resolvConf);
  if (now === undefined || now.toString('latin1') === fromTunnel) return false;
  const text = now.toString('latin1');
  if (text !== defaultResolvConf(paths.name) && !text.startsWith(FROM_TUNNEL_HEADER)) return false;
  const temporary = `${paths.resolvConf}.netns-run-new`;
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  try {
    writeAll(fd, Buffer.from(fromTunnel), temporary);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, paths.resolvConf);
  undo.push(`restore ${paths.resolvConf}`, () => {
    const back = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
    try {
      writeAll(back, now, temporary);
    } finally {
      closeSync(back);
    }
    renameSync(temporary, paths.resolvConf);
  });
  return true;
}

export function writeDefaultNsswitchConf(paths: NamespacePaths, undo: Undo): void {
  makeDir('/etc/netns', undo);
  makeDir(paths.etcDir, undo);
  // latin1 maps every byte to one character and back: the host's bytes pass through unchanged.
  const host = readSmall('/etc/nsswitch.conf')?.toString('latin1');
  createOnce(paths.nsswitchConf, Buffer.from(namespaceNsswitch(paths.name, host), 'latin1'), undo);
}

/**
 * The administrator's resolver files are trusted the way sudo trusts
 * sudoers (src/trust.ts), in /etc/netns as well as /etc/netns/NAME (whoever
 * can write either can swap the files), and must be readable by everyone,
 * since everyone in the namespace reads them.
 */
export function readTrusted(path: string, directory: string, parentJudged = false): Buffer | undefined {
  // parentJudged: a listing judged /etc/netns once for every namespace (commands/report.ts's SharedView).
  return readTrustedFile(path, { readers: 'everyone', maxBytes: MAX_FILE_BYTES, directories: parentJudged ? [directory] : [dirname(directory), directory] });
}

/**
 * The mount namespace binds copies kept in the state directory, not the
 * files in /etc/netns/NAME themselves: a bind mount pins an inode, and
 * editors save by writing a new file and renaming it over the old one. A
 * copy rewritten in place keeps its inode, so the next call sees the edit.
 * Returns true when a copy changed.
 */
export function syncCopies(paths: NamespacePaths): boolean {
  let changed = false;
  for (const { configured: source, source: copy } of paths.covered) {
    if (source === undefined) continue;
    const wanted = readTrusted(source, paths.etcDir);
    if (wanted === undefined) throw new NetnsRunError(`${source} is missing; run the command again to recreate it with defaults`);
    if (readSmall(copy)?.equals(wanted)) continue;
    rewriteInPlace(copy, wanted);
    changed = true;
  }
  return changed;
}

/**
 * Rewrites a copy in place: O_TRUNC on the existing file keeps its inode,
 * which the bind mount holds, so it cannot be renamed into place. Every
 * byte is written or it is an error: a short write (a limit, a full /run)
 * would leave a resolver file cut where the cut fell, which every process
 * in the namespace reads. inherited.ts sees to it that no caller's limit
 * binds here; this is the check that what was meant is what is there.
 */
function rewriteInPlace(copy: string, wanted: Buffer): void {
  const fd = openSync(copy, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  try {
    writeAll(fd, wanted, copy);
  } finally {
    closeSync(fd);
  }
}

/** Writes every byte, or says which file could not be written whole. */
function writeAll(fd: number, bytes: Buffer, path: string): void {
  let written = 0;
  try {
    while (written < bytes.length) {
      const now = writeSync(fd, bytes, written);
      if (now <= 0) break;
      written += now;
    }
  } catch (error) {
    throw new NetnsRunError(`could not write ${path} whole (${written} of ${bytes.length} bytes): ${(error as Error).message}; run the command again`);
  }
  if (written !== bytes.length || fstatSync(fd).size !== bytes.length) {
    throw new NetnsRunError(`could not write ${path} whole (${written} of ${bytes.length} bytes); free space in ${dirname(path)} and run the command again`);
  }
}
