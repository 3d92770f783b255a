// A plain user's netns-run gets root the way the administrator chose in the
// policy file (sudo by default, or pkexec) by running itself again through
// it, with the caller's environment handed over as data (handover.ts).
//
// Through sudo, sudo is asked first (sudo -n -l), so its refusal is one line
// of ours; then the launcher execs sudo, and no Node of ours stays beside
// the command. pkexec cannot be asked beforehand: it exits 127 when it is
// not authorised or cannot ask (no polkit daemon, no authentication agent)
// and 126 when the authentication was dismissed (pkexec(1)), values a
// command run in the namespace may exit with too (127 is "command not
// found"). So for pkexec netns-run stays the parent: the elevated netns-run
// takes (and removes) the hand-over file before anything else it might fail
// at, and a file still there means it never ran, so the status is pkexec's
// and becomes one line of ours and 125. The price, for pkexec only, is a
// Node process that waits while the command runs.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { currentDirectory } from './access.js';
import { userInfo } from 'node:os';
import type { Request } from './cli.js';
import { tryHelper } from './helpers.js';
import { NetnsRunError } from './errors.js';
import { spawnAndWait } from './exec/spawn.js';
import type { Ending } from './exec/status.js';
import { execRoute, execute, type Launch } from './exec/launch.js';
import { CALLER_ENV_OPTION, writeHandover } from './handover.js';
import { loadPolicy, POLICY_FILE } from './policy.js';
import { findTool } from './tools.js';

/** What netns-run elevated by pkexec gets: the parsed request written out again, so a command's own -C (git -C) is never taken for ours. */
export function elevatedArgs(request: Exclude<Request, { kind: 'answered' }>, args: readonly string[], here: () => string): string[] {
  if (request.kind !== 'run') return [...args];
  // pkexec starts programs in root's home directory: a run passes its
  // directory along, made absolute here, where it means what the caller meant.
  return [
    ...(request.user !== undefined ? ['--user', request.user] : []),
    '--chdir', resolve(here(), request.chdir ?? '.'),
    '--', request.name, '--', ...request.command,
  ];
}

/**
 * How sudo or pkexec ended, in our words when it was their own failure:
 * only when the elevated netns-run never took the hand-over (`untaken`),
 * since after that every status is the command's (or netns-run's own).
 */
export function elevatorFailure(method: 'sudo' | 'pkexec', ending: Ending, untaken: boolean, user: string): NetnsRunError | undefined {
  if (!untaken || ending.kind !== 'code') return undefined;
  if (method === 'pkexec' && ending.code === 126) {
    return new NetnsRunError('pkexec did not give netns-run root: the authentication was dismissed; run it again and authenticate, or use sudo netns-run');
  }
  if (method === 'pkexec' && ending.code === 127) {
    return new NetnsRunError(
      `pkexec did not give netns-run root: polkit refused ${user}, or could not ask (no polkit daemon running, no authentication agent in this session); ` +
        'start one or ask an administrator for the polkit rule in SECURITY.md, or use sudo netns-run',
    );
  }
  if (method === 'sudo' && ending.code !== 0) {
    return new NetnsRunError(`sudo did not start netns-run for ${user} (it exited ${ending.code}); ask an administrator for the sudoers rule in SECURITY.md`);
  }
  return undefined;
}

/**
 * pkexec prints its own failures on the standard error it then hands to
 * the command, so they cannot be taken back afterwards. The one failure
 * that can be seen before asking, the machine's (no polkit daemon, no
 * polkitd at all), is asked with pkcheck, from the same trusted directory
 * as pkexec, as the plain user: a refusal of ours then stands alone.
 */
async function polkitMissing(pkexec: string): Promise<string | undefined> {
  const pkcheck = join(dirname(pkexec), 'pkcheck');
  const advice = 'ask an administrator to install and start polkitd, or use sudo netns-run';
  if (!existsSync(pkcheck)) return `pkexec cannot give netns-run root here: polkit is not installed (no ${pkcheck}); ${advice}`;
  const asked = tryHelper(pkcheck, ['--action-id', 'org.freedesktop.policykit.exec', '--process', String(process.pid)], { stdout: 'ignore', timeoutMs: 10_000 });
  if (/Error getting authority|Could not connect/.test(asked.stderr)) {
    return `pkexec cannot give netns-run root here: the polkit daemon is not running; ${advice}`;
  }
  return undefined;
}

export async function elevate(request: Exclude<Request, { kind: 'answered' }>, args: readonly string[], launch: Launch): Promise<Ending> {
  const policy = loadPolicy();
  if (policy.elevate === 'none') {
    throw new NetnsRunError(`root is needed: run netns-run as root or through sudo (self-elevation is off in ${POLICY_FILE})`);
  }
  const method = policy.elevate;
  const user = userInfo().username;
  const script = process.argv[1]!;
  const elevator = findTool(method);
  // Through sudo the launcher execs sudo, so no one is left to ask whether the
  // elevated run took a hand-over, or to remove one sudo refused after saying
  // yes: without keep-env, when there is nothing to hand over, none is made.
  const handover = method === 'pkexec' || policy.keepEnv ? writeHandover(launch.inherited, policy.keepEnv) : undefined;
  let handedOver = false;
  try {
    // Through sudo the user's words go as they came (sudo keeps the
    // directory), so the elevated run takes the quick path: yargs, as root,
    // would look for its configuration in the caller's directories.
    const words = method === 'pkexec' ? elevatedArgs(request, args, currentDirectory) : args;
    const again = [script, ...(handover !== undefined ? [`${CALLER_ENV_OPTION}=${handover.file}`] : []), ...words];
    const argv = method === 'sudo' ? [elevator, '-n', '--', ...again] : [elevator, ...again];
    if (method === 'pkexec') {
      const missing = await polkitMissing(elevator);
      if (missing !== undefined) throw new NetnsRunError(missing);
    }
    if (method === 'sudo') {
      // Asked first, so that a refusal is one line of ours rather than a password prompt or sudo's lecture.
      // sudo must see the caller's environment, as the elevation itself will.
      const asked = tryHelper(elevator, ['-n', '-l', '--', ...again], { env: launch.inherited as Record<string, string>, stdout: 'ignore' });
      if (asked.code !== 0) {
        throw new NetnsRunError(`root is needed, and sudo does not let ${user} run netns-run without a password; ask an administrator for the sudoers rule in SECURITY.md`);
      }
    }
    if (method === 'sudo') {
      // sudo said yes already: the launcher execs it, so no Node of ours
      // waits beside the command (a browser runs for hours), and the
      // command keeps what the launcher keeps. The elevated run removes the
      // hand-over as it takes it.
      handedOver = true;
      return execute({ file: elevator, argv, env: launch.inherited as Record<string, string>, route: execRoute(launch), verbatim: args.length }, launch, args);
    }
    launch.stdio.blocking();
    const ending = await spawnAndWait({ file: elevator, argv, env: launch.inherited as Record<string, string>, route: 'spawn' });
    const failure = elevatorFailure(method, ending, handover?.untaken() ?? false, user);
    if (failure !== undefined) throw failure;
    return ending;
  } finally {
    if (!handedOver) handover?.remove();
  }
}

/**
 * Whether self-elevation would work for this user, for --status: sudo is
 * asked without a password (sudo -n -l); pkexec can only be known by trying.
 */
export async function selfElevation(name: string): Promise<{ method: 'sudo' | 'pkexec' | 'none'; works: boolean | undefined; problem?: string }> {
  const policy = loadPolicy();
  if (policy.elevate === 'none') return { method: 'none', works: false, problem: `not running as root, and self-elevation is off in ${POLICY_FILE}: run netns-run as root or through sudo` };
  if (policy.elevate === 'pkexec') return { method: 'pkexec', works: undefined };
  let sudo: string;
  try {
    sudo = findTool('sudo');
  } catch (error) {
    return { method: 'sudo', works: false, problem: `not running as root, and ${(error as Error).message}` };
  }
  const asked = tryHelper(sudo, ['-n', '-l', '--', process.argv[1]!, `${CALLER_ENV_OPTION}=/`, name, '--', 'true'], { env: process.env as Record<string, string>, stdout: 'ignore' });
  if (asked.code === 0) return { method: 'sudo', works: true };
  return { method: 'sudo', works: false, problem: `not running as root, and sudo does not let ${userInfo().username} run netns-run without a password; ask an administrator for the sudoers rule in SECURITY.md` };
}
