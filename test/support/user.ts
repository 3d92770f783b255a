// A real unprivileged test user, and sudo set up for it the way an
// administrator would let a user run netns-run: a drop-in in /etc/sudoers.d
// that allows exactly `sudo -n BIN ...` as root without a password.
//
// createTestUser() makes the user nrt<pid> (its own group, a supplementary
// group nrtg<pid>, a home directory) and the drop-in; cleanup() removes all
// of it, whatever state it is in, and also runs from an exit handler so that
// nothing stays on the machine when a test file fails or throws.
import { grant } from './policy.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { BIN, NODE_DIR, runProgram, sh, trySh, type Result, type RunOptions } from './netns-run.js';

export interface TestUser {
  readonly name: string;
  readonly uid: number;
  /** The primary group, named like the user. */
  readonly gid: number;
  /** The supplementary group the user is a member of. */
  readonly group: string;
  readonly groupGid: number;
  readonly home: string;
  /** The login shell in the passwd entry: chosen to differ from root's. */
  readonly shell: string;
  readonly sudoersFile: string;
  /** Runs FILE ARGS as the user (runuser -u), from options.cwd, with options.env or a small clean one. */
  run(file: string, args: readonly string[], options?: RunOptions): Promise<Result>;
  /** Runs `sudo -n BIN ARGS...` as the user: netns-run as a sudo user calls it. */
  sudoNetnsRun(args: readonly string[], options?: RunOptions): Promise<Result>;
  /** Removes the user, its groups, home and the sudoers drop-in. Idempotent. */
  cleanup(): void;
}

/** Why sudo-based tests cannot run here, or undefined when they can. */
export function sudoMissing(): string | undefined {
  for (const tool of ['sudo', 'visudo', 'useradd', 'userdel', 'groupadd', 'groupdel', 'runuser']) {
    if (trySh(`command -v ${tool}`).status !== 0) {
      return `${tool} is not installed (apt-get install -y sudo passwd util-linux); the sudo caller tests need it`;
    }
  }
  return undefined;
}

/** The environment a user's login would start with: no NODE_EXTRA_CA_CERTS or root leftovers. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', ...extra };
}

/** sudoers reads ',', ':', '=', '\\', spaces and more specially: the paths in the rule must be plain. */
function sudoersWord(path: string): string {
  if (!/^\/[A-Za-z0-9/._+-]+$/.test(path)) {
    throw new Error(`cannot write ${JSON.stringify(path)} into a sudoers rule without escaping; move it to a plain path`);
  }
  return path;
}

function shellOf(user: string): string {
  return sh(`getent passwd ${user}`).trim().split(':')[6] ?? '';
}

function idOf(kind: 'u' | 'g', user: string): number {
  return Number(sh(`id -${kind} ${user}`).trim());
}

export function createTestUser(): TestUser {
  const name = `nrt${process.pid}`;
  const group = `nrtg${process.pid}`;
  const home = `/home/${name}`;
  const sudoersFile = `/etc/sudoers.d/${name}`;
  // A dot keeps sudo from reading the file while it is being written (see @includedir in sudoers(5)).
  const sudoersDraft = `${sudoersFile}.draft`;

  let cleaned = false;
  let revoke = (): void => {};
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    process.off('exit', cleanup);
    revoke();
    rmSync(sudoersDraft, { force: true });
    rmSync(sudoersFile, { force: true });
    // userdel -r removes the home and mail spool, and the user's own group.
    trySh(`getent passwd ${name} >/dev/null && userdel -r -f ${name} 2>/dev/null`);
    trySh(`getent group ${name} >/dev/null && groupdel ${name}`);
    trySh(`getent group ${group} >/dev/null && groupdel ${group}`);
    rmSync(home, { recursive: true, force: true });
  };
  process.on('exit', cleanup);

  try {
    if (trySh(`getent passwd ${name}`).status === 0) throw new Error(`user ${name} exists already; remove it (userdel -r ${name})`);
    // Absolute: the user's clean environment has no sbin directories in PATH.
    const runuser = sh('command -v runuser').trim();
    const rootShell = shellOf('root');
    const shell = ['/bin/sh', '/bin/bash', '/usr/bin/dash'].find((s) => s !== rootShell && existsSync(s));
    if (shell === undefined) throw new Error('no login shell different from root\'s to give the test user');
    sh(`groupadd ${group}`);
    sh(`useradd --create-home --home-dir ${home} --user-group --groups ${group} --shell ${shell} --comment 'netns-run test user' ${name}`);

    // What users are told to write (SECURITY.md), plus a secure_path that
    // finds the Node under test first: sudo's PATH is what finds `node` for
    // bin/netns-run's launcher line.
    const rule = `Defaults:${name} secure_path="${sudoersWord(NODE_DIR)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n${name} ALL=(root) NOPASSWD: ${sudoersWord(BIN)} *\n`;
    writeFileSync(sudoersDraft, `# netns-run tests (pid ${process.pid}); removed when they end\n${rule}`, { mode: 0o440 });
    chmodSync(sudoersDraft, 0o440);
    const check = spawnSync('visudo', ['-cf', sudoersDraft], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`visudo -cf rejected the test rule: ${(check.stderr || check.stdout).trim()}`);
    renameSync(sudoersDraft, sudoersFile);
    // netns-run's own policy: sudo lets the user run it, the policy lets them use namespaces.
    revoke = grant(`allow ${name} * create`);

    const user: TestUser = {
      name,
      uid: idOf('u', name),
      gid: idOf('g', name),
      group,
      groupGid: Number(sh(`getent group ${group}`).split(':')[2]),
      home,
      shell,
      sudoersFile,
      run: (file, args, options = {}) =>
        runProgram(runuser, ['-u', name, '--', file, ...args], { ...options, env: options.env ?? cleanEnv(), cwd: options.cwd ?? home }),
      sudoNetnsRun: (args, options = {}) => user.run('sudo', ['-n', BIN, ...args], options),
      cleanup,
    };
    return user;
  } catch (error) {
    cleanup();
    throw error;
  }
}
