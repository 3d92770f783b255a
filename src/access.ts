import { statSync, type Stats } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Caller } from './caller.js';
import { EXIT_CANNOT_EXECUTE, EXIT_FAILURE, EXIT_NOT_FOUND, NetnsRunError } from './errors.js';

// Everything the caller names (the current directory, the command) is looked
// at with the caller's own effective ids, so that netns-run never reaches a
// file for them that they could not reach themselves. These are early, clear
// answers; the final word is the kernel's, because the chdir and the exec
// happen after setpriv has dropped to the caller.

/** Runs fn with the caller's effective uid, gid and groups, then takes root back. */
export function asCaller<T>(caller: Caller, fn: () => T): T {
  const euid = process.geteuid!();
  if (caller.uid === 0 || euid !== 0) return fn();
  const egid = process.getegid!();
  const groups = process.getgroups!();
  process.setgroups!([...caller.groups]);
  process.setegid!(caller.gid);
  process.seteuid!(caller.uid);
  try {
    return fn();
  } finally {
    process.seteuid!(euid);
    process.setegid!(egid);
    process.setgroups!(groups);
  }
}

/**
 * The permission bits the kernel would apply for this caller. access(2)
 * cannot answer it: it checks the real uid, which is 0 under sudo.
 * ACLs are not read; the exec itself still decides.
 */
export function mayExecute(st: Pick<Stats, 'mode' | 'uid' | 'gid'>, caller: Pick<Caller, 'uid' | 'gid' | 'groups'>): boolean {
  if (caller.uid === 0) return (st.mode & 0o111) !== 0;
  if (st.uid === caller.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === caller.gid || caller.groups.includes(st.gid)) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** What statOrError returns for a path that does not exist: one object, made once (see below). */
const NO_ENTRY: NodeJS.ErrnoException = Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT', errno: -2 });

/**
 * A missing path is the common answer (the command is looked for in each
 * PATH entry), and an exception with its stack trace costs more than the
 * stat(2) itself: throwIfNoEntry makes ENOENT a plain answer. Other errors
 * (EACCES, ENOTDIR, ELOOP) still come back as Node's own.
 */
function statOrError(path: string): Stats | NodeJS.ErrnoException {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? NO_ENTRY;
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
}

/**
 * The directory the target starts in: the caller's $PWD when it names the
 * current directory (so a path through a symlink reads as the user typed it,
 * as shells keep it), otherwise the kernel's answer.
 */
export function callerDirectory(env: NodeJS.ProcessEnv, cwd: string): string {
  const pwd = env.PWD;
  if (pwd && isAbsolute(pwd) && !pwd.includes('\0')) {
    const a = statOrError(pwd);
    const b = statOrError(cwd);
    if (!(a instanceof Error) && !(b instanceof Error) && a.dev === b.dev && a.ino === b.ino) return pwd;
  }
  return cwd;
}

/** The current directory, or one line saying it is gone. */
export function currentDirectory(): string {
  try {
    return process.cwd();
  } catch {
    throw new NetnsRunError('the current directory no longer exists; cd to an existing directory and try again');
  }
}

/** Why a path cannot be reached, in words rather than errno names. */
function unreachable(error: NodeJS.ErrnoException, caller: Caller): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such directory';
    case 'EACCES':
      return `${caller.user} may not reach it`;
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links on the way';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return error.message;
  }
}

/**
 * The directory the command starts in, reached as the caller. `given` is
 * what --chdir said, when it said anything: the message names that, and
 * asks for another DIR rather than a cd (which could not help: pkexec, for
 * one, starts netns-run in root's home whatever the caller's directory).
 */
export function checkDirectory(dir: string, caller: Caller, given?: string): void {
  const st = asCaller(caller, () => statOrError(dir));
  const fail = (why: string) =>
    new NetnsRunError(
      given === undefined
        ? `cannot start in the current directory ${JSON.stringify(dir)}: ${why}; cd to a directory you can enter and try again`
        : `cannot start in ${JSON.stringify(given)} (--chdir${given === dir ? '' : `, ${JSON.stringify(dir)}`}): ${why}; give a directory ${caller.user} can enter`,
    );
  if (st instanceof Error) throw fail(unreachable(st, caller));
  if (!st.isDirectory()) throw fail('not a directory');
  if (!mayExecute(st, caller)) throw fail(`${caller.user} may not enter it`);
}

/**
 * Finds the command the way execvp(3) would for the caller: a name with a
 * slash is used as it is; otherwise each entry of the caller's PATH in turn,
 * an empty entry meaning the current directory. A file that exists but cannot
 * be executed is remembered and the search goes on, as execvp does; only if
 * nothing runnable is found does it decide between 126 and 127.
 */
export function findCommand(command: string, path: string | undefined, dir: string, caller: Caller): string {
  return asCaller(caller, () => {
    const candidates = command.includes('/')
      ? [command]
      : (path ?? '/usr/local/bin:/usr/bin:/bin').split(':').map((entry) => join(entry || '.', command));
    let denied: string | undefined;
    let directory: string | undefined;
    for (const candidate of candidates) {
      const st = statOrError(isAbsolute(candidate) ? candidate : join(dir, candidate));
      if (st instanceof Error) {
        if (st.code === 'EACCES') denied ??= candidate;
        continue;
      }
      if (st.isFile() && mayExecute(st, caller)) return candidate;
      if (st.isDirectory()) directory ??= candidate;
      else denied ??= candidate;
    }
    // A directory found before anything else that is no program: execvp's EACCES, said as it is.
    if (directory !== undefined && denied === undefined) {
      throw new NetnsRunError(`${command}: is a directory${directory === command ? '' : ` (${directory})`}, not a program; name the program to run`, EXIT_CANNOT_EXECUTE);
    }
    if (denied !== undefined) {
      throw new NetnsRunError(
        `${command}: permission denied (${denied}): ${caller.user} may not execute it; check its mode and owner`,
        EXIT_CANNOT_EXECUTE,
      );
    }
    throw new NetnsRunError(
      command.includes('/')
        ? `${command}: no such file; check the path`
        : `${command}: command not found in PATH; check the name or give its full path`,
      EXIT_NOT_FOUND,
    );
  });
}

/** env(1) reads any NAME=VALUE word before the command as an assignment. */
export function checkCommandWord(command: string): void {
  if (command.includes('=')) {
    throw new NetnsRunError(`${JSON.stringify(command)}: a command whose name contains '=' cannot be run by netns-run; rename it or run it through a shell`, EXIT_FAILURE);
  }
}
