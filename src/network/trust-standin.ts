// STAND-IN for the lead's src/trust.ts (not on main when this was written):
// the same signature, so that switching is changing one import. Delete this
// file once src/trust.ts is merged.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { NetnsRunError } from '../errors.js';

export interface TrustOptions {
  /** Who may read it: 'everyone' (resolver files), 'root' (key files). */
  readonly readers: 'everyone' | 'root';
  readonly maxBytes: number;
  /** What the file is, for messages: "WireGuard configuration". */
  readonly what: string;
}

/** The file's bytes if root may trust it; undefined if it does not exist; a NetnsRunError saying how to fix it otherwise. */
export function readTrustedFile(path: string, options: TrustOptions): Buffer | undefined {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (st === undefined) return undefined;
    if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
      throw new NetnsRunError(`${dir} must be a directory owned by root and writable by no one else; fix it (chown root: ${dir}; chmod go-w ${dir})`);
    }
    if (dir === '/') break;
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new NetnsRunError(`${path} is a symbolic link; netns-run reads only a real file there (replace the link with the file)`);
    throw new NetnsRunError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NetnsRunError(`${path} is not a regular file; make it one`);
    if (st.uid !== 0) throw new NetnsRunError(`${path} is owned by uid ${st.uid}; a ${options.what} must be owned by root: chown root: ${path}`);
    if ((st.mode & 0o022) !== 0) throw new NetnsRunError(`${path} can be changed by group or others; chmod go-w ${path}`);
    if (options.readers === 'root' && (st.mode & 0o044) !== 0) {
      throw new NetnsRunError(`${path} can be read by group or others, and a ${options.what} holds a private key: chmod 600 ${path}`);
    }
    if (st.size > options.maxBytes) throw new NetnsRunError(`${path} is larger than ${options.maxBytes} bytes; it cannot be a ${options.what}`);
    const buffer = Buffer.alloc(options.maxBytes + 1);
    let length = 0;
    for (;;) {
      const got = readSync(fd, buffer, length, buffer.length - length, null);
      if (got === 0) break;
      length += got;
      if (length > options.maxBytes) throw new NetnsRunError(`${path} is larger than ${options.maxBytes} bytes; it cannot be a ${options.what}`);
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
