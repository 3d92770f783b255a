import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { failed, tryHelper } from './helpers.js';
import { NetnsRunError } from './errors.js';

/** How netns-run got its privilege, which decides who the caller is. */
export type Elevation = 'root' | 'sudo' | 'pkexec' | 'setuid';

/** The person netns-run acts for: the target runs with exactly these ids. */
export interface Caller {
  readonly elevation: Elevation;
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups, as a login of this user would have them. */
  readonly groups: readonly number[];
  readonly user: string;
  readonly home: string;
  readonly shell: string;
}

/** The process facts identity is read from; a parameter so tests can state them. */
export interface ProcessIds {
  readonly uid: number;
  readonly euid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

export function currentIds(): ProcessIds {
  return { uid: process.getuid!(), euid: process.geteuid!(), gid: process.getgid!(), groups: kernelGroups() };
}

/**
 * The supplementary groups as the kernel holds them. Node's getgroups()
 * adds the effective gid, which under a setgid-root wrapper is 0: the
 * caller would get group root.
 */
function kernelGroups(): number[] {
  const line = /^Groups:[ \t]*([^\n]*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  return line.split(/\s+/).filter(Boolean).map(Number);
}

/** Who is asking, before any account lookup: pure, so every entry mode is unit-tested. */
export interface CallerIdentity {
  readonly elevation: Elevation;
  readonly uid: number;
  /** Known for root and setuid runs; looked up from the account otherwise. */
  readonly gid?: number;
  /** Known for root and setuid runs (the process's own); from the account otherwise. */
  readonly groups?: readonly number[];
}

const ID_PATTERN = /^(0|[1-9][0-9]{0,9})$/;

function parseId(value: string, variable: string): number {
  const id = ID_PATTERN.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(id) || id > 0xfffffffe) {
    throw new NetnsRunError(`${variable}=${JSON.stringify(value)} is not a user or group id; unset it or run netns-run through sudo or pkexec unchanged`);
  }
  return id;
}

/**
 * The caller is decided from what an unprivileged user cannot forge. A real
 * uid other than 0 means a setuid wrapper: the real uid is the caller and no
 * variable is read. Only when the real uid is 0 (root, or sudo and pkexec,
 * which set it) do SUDO_UID and PKEXEC_UID say who elevated.
 */
export function identify(ids: ProcessIds, env: NodeJS.ProcessEnv): CallerIdentity {
  if (ids.euid !== 0) {
    throw new NetnsRunError('netns-run needs root to make and enter namespaces; run it as root or through sudo (see "Letting users run it" in the README)');
  }
  if (ids.uid !== 0) return { elevation: 'setuid', uid: ids.uid, gid: ids.gid, groups: ids.groups };
  if (env.SUDO_UID !== undefined) {
    const uid = parseId(env.SUDO_UID, 'SUDO_UID');
    return env.SUDO_GID !== undefined ? { elevation: 'sudo', uid, gid: parseId(env.SUDO_GID, 'SUDO_GID') } : { elevation: 'sudo', uid };
  }
  if (env.PKEXEC_UID !== undefined) {
    return { elevation: 'pkexec', uid: parseId(env.PKEXEC_UID, 'PKEXEC_UID') };
  }
  return { elevation: 'root', uid: 0, gid: ids.gid, groups: ids.groups };
}

interface Account {
  readonly user: string;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

/**
 * getpwuid() through Node: os.userInfo() asks for the effective uid, so we
 * take the caller's uid for the lookup only. NSS answers here, in the host's
 * namespaces, never inside the target namespace.
 */
function lookupAccount(uid: number): Account {
  const own = process.geteuid!();
  try {
    if (uid !== own) process.seteuid!(uid);
    const info = userInfo();
    return { user: info.username, gid: info.gid, home: info.homedir, shell: info.shell || '/bin/sh' };
  } catch {
    throw new NetnsRunError(`uid ${uid} has no account (no passwd entry); netns-run runs commands only as a known user`);
  } finally {
    if (uid !== own) process.seteuid!(own);
  }
}

/**
 * The supplementary groups a login of `user` gets, computed by initgroups(3)
 * in the host. Node's getgroups() always adds the effective gid, so it is
 * read while the effective gid is the user's own: otherwise root's group 0
 * would slip into the caller's groups.
 */
function loginGroups(user: string, gid: number): number[] {
  const savedGroups = process.getgroups!();
  const savedEgid = process.getegid!();
  try {
    (process as unknown as { initgroups(user: string, group: number): void }).initgroups(user, gid);
    process.setegid!(gid);
    return process.getgroups!();
  } finally {
    process.setegid!(savedEgid);
    process.setgroups!(savedGroups);
  }
}

export function resolveCaller(ids: ProcessIds, env: NodeJS.ProcessEnv): Caller {
  const who = identify(ids, env);
  const account = lookupAccount(who.uid);
  const gid = who.gid ?? account.gid;
  const groups = who.groups ?? loginGroups(account.user, gid);
  if (who.elevation === 'setuid') becomeRoot();
  return {
    elevation: who.elevation,
    uid: who.uid,
    gid,
    groups: [...new Set(groups)],
    user: account.user,
    home: account.home,
    shell: account.shell,
  };
}

/**
 * Under a setuid wrapper only the effective uid is 0. The helpers must run
 * as plain root: mount(8), for one, treats a caller whose real uid is not 0
 * as a user and refuses. Who the caller is has been recorded by now, and
 * from here on the caller can no longer signal or ptrace this process.
 */
function becomeRoot(): void {
  process.setgroups!([0]);
  process.setgid!(0);
  process.setuid!(0);
}

/**
 * The account root asked to run as (--user NAME or UID), looked up in NSS
 * through getent so that any account the system knows works.
 */
export async function accountOf(user: string, getent: string): Promise<Caller> {
  const result = tryHelper(getent, ['passwd', user]);
  const fields = result.stdout.split('\n')[0]!.split(':');
  if (failed(result) || fields.length < 7) throw new NetnsRunError(`no such user ${JSON.stringify(user)}; give a user name or uid that exists`);
  const [name, , uidText, gidText, , home, shell] = fields as [string, string, string, string, string, string, string];
  const uid = parseId(uidText, 'the uid of ' + name);
  const gid = parseId(gidText, 'the gid of ' + name);
  return { elevation: 'root', uid, gid, groups: [...new Set(loginGroups(name, gid))], user: name, home, shell: shell || '/bin/sh' };
}
