import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import { asCaller, callerDirectory, checkCommandWord, checkDirectory, findCommand } from './access.js';
import { accountOf, currentIds, resolveCaller, type Caller, type Elevation } from './caller.js';
import { parseCommandLine, type Request, type RunRequest } from './cli.js';
import { formatList, listNamespaces } from './commands/list.js';
import { formatStatus, status } from './commands/status.js';
import { dropIn } from './commands/unit.js';
import { splitEnvironment, targetEnvironment } from './environment.js';
import { EXIT_FAILURE, NetnsRunError, oneLine } from './errors.js';
import { ensureNamespace } from './ensure/index.js';
import { namespaceId } from './ensure/inspect.js';
import { tearDown } from './ensure/teardown.js';
import { tryHelper } from './helpers.js';
import { refuseNodeDebugging, takeOverInherited } from './inherited.js';
import { canExecve, execve } from './exec/execve.js';
import { handOff, shellCommand } from './exec/handoff.js';
import { spawnAndWait } from './exec/spawn.js';
import type { Ending } from './exec/status.js';
import type { StdioWatch } from './exec/stdio.js';
import { pathsFor, type NamespacePaths } from './name.js';
import { planEntry, type ExecRoute, type ExecPlan } from './exec/plan.js';
import { EMPTY_POLICY, loadPolicy, may, memberOf, refusal, type Action } from './policy.js';
import { findTool, findTools } from './tools.js';

const OK: Ending = { kind: 'code', code: 0 };

function currentDirectory(): string {
  try {
    return process.cwd();
  } catch (error) {
    throw new NetnsRunError(`the current directory is gone (${(error as NodeJS.ErrnoException).code}); cd to an existing directory and try again`);
  }
}

/** How this process was started, and what it needs to hand the exec over. */
export interface Launch {
  /** The pipe of bin/netns-run's shell, which execs what we write there; undefined when started directly. */
  readonly handoff: number | undefined;
  /** The environment Node inherited (the launcher's own), without the handoff variable. */
  readonly inherited: Readonly<Record<string, string | undefined>>;
  readonly stdio: StdioWatch;
}

function execRoute(launch: Launch): ExecRoute {
  if (launch.handoff !== undefined) return 'shell';
  return canExecve() ? 'execve' : 'spawn';
}

/**
 * Has the launcher exec plan; where Node was started directly, replaces us
 * with it (execve) or runs it as a child and ends as it ends (spawn).
 */
function execute(plan: ExecPlan, launch: Launch, args: readonly string[]): Promise<Ending> | Ending | never {
  launch.stdio.blocking();
  switch (plan.route) {
    case 'shell':
      handOff(launch.handoff!, shellCommand(plan, launch.inherited, args));
      return OK;
    case 'execve':
      return execve(plan);
    case 'spawn':
      return spawnAndWait(plan);
  }
}

/**
 * A caller other than root gets only what the policy grants. Checked before
 * anything is made, so a refusal leaves nothing behind. A caller who may
 * use NAME but not create it gets the refusal back, for ensureNamespace to
 * raise if NAME turns out to need creating under the lock (root may have
 * deleted it since this look).
 */
async function checkPolicy(caller: Caller, paths: NamespacePaths, action: Action): Promise<NetnsRunError | undefined> {
  if (caller.uid === 0) return undefined;
  const policy = loadPolicy();
  const member = await memberOf(caller, policy, findTool('getent'));
  if (!may(policy, member, paths.name, 'use')) throw refusal(caller, paths.name, 'use');
  if (action !== 'create' || may(policy, member, paths.name, 'create')) return undefined;
  const cannotCreate = refusal(caller, paths.name, 'create');
  if (namespaceId(paths.netns) === undefined) throw cannotCreate;
  return cannotCreate;
}

/**
 * A plain user's netns-run gets root the way the administrator chose in the
 * policy file (sudo by default, or pkexec) by running itself again through
 * it. sudo is asked first (sudo -n -l), so that a refusal is one line of
 * ours rather than a password prompt or sudo's lecture.
 */
async function elevate(request: Exclude<Request, { kind: 'answered' }>, args: readonly string[], launch: Launch): Promise<Ending> {
  let method: 'sudo' | 'pkexec' | 'none';
  try {
    method = loadPolicy().elevate;
  } catch {
    method = EMPTY_POLICY.elevate;
  }
  const user = userInfo().username;
  const script = process.argv[1]!;
  const route = execRoute(launch);
  if (method === 'none') {
    throw new NetnsRunError('netns-run needs root: run it as root or through sudo (self-elevation is off in /etc/netns-run.conf)');
  }
  if (method === 'pkexec') {
    const pkexec = findTool('pkexec');
    // pkexec starts programs in root's home directory: a run gets its
    // directory passed along, made absolute here, where it means what the
    // caller meant. The command line is rebuilt from what was parsed, so a
    // command's own -C (git -C, make -C) is never mistaken for ours.
    const again =
      request.kind === 'run'
        ? [...(request.user !== undefined ? ['--user', request.user] : []), '--chdir', resolve(currentDirectory(), request.chdir ?? '.'), '--', request.name, '--', ...request.command]
        : args;
    const verbatim = request.kind === 'run' ? request.command.length : args.length;
    return execute({ file: pkexec, argv: [pkexec, script, ...again], env: process.env as Record<string, string>, route, verbatim }, launch, args);
  }
  const sudo = findTool('sudo');
  // sudo must see the caller's environment, as the elevation itself will.
  const asked = tryHelper(sudo, ['-n', '-l', '--', script, ...args], { env: process.env as Record<string, string>, stdout: 'ignore' });
  if (asked.code !== 0) {
    throw new NetnsRunError(`netns-run needs root, and sudo does not let ${user} run it without a password; ask an administrator for the sudoers rule in SECURITY.md`);
  }
  return execute({ file: sudo, argv: [sudo, '-n', '--', script, ...args], env: process.env as Record<string, string>, route, verbatim: args.length }, launch, args);
}

/** parse -> who calls -> may they -> check what they name -> ensure the namespaces -> plan the entry -> exec. */
async function run(request: RunRequest, args: readonly string[], launch: Launch): Promise<Ending> {
  // What netns-run makes must be readable inside whatever umask the caller
  // has; the target gets the caller's umask back.
  const callerUmask = process.umask(0o022);
  const caller = resolveCaller(currentIds(), process.env);
  // Root's set-up runs with limits and a priority of its own, not the caller's.
  const restore = takeOverInherited();
  if (request.user !== undefined && caller.uid !== 0) {
    throw new NetnsRunError(`only root may run a command as another user (--user); as ${caller.user}, leave --user out`);
  }
  const paths = pathsFor(request.name);
  const cannotCreate = await checkPolicy(caller, paths, 'create');
  // Root may name another account; the command then runs as that account in every respect.
  const runAs = request.user === undefined ? caller : await accountOf(request.user, findTool('getent'));
  // $PWD is compared with the real directory as the caller: root's view would tell them whether a hidden path leads here.
  const here = asCaller(caller, () => callerDirectory(process.env, currentDirectory()));
  const directory = request.chdir === undefined ? here : resolve(here, request.chdir);
  checkDirectory(directory, runAs);
  const target = targetEnvironment(process.env, runAs, request.name);
  // No command: the caller's own shell, as `sudo -s` starts it.
  const command = request.command.length > 0 ? request.command : [runAs.shell];
  checkCommandWord(command[0]!);
  findCommand(command[0]!, target.PATH, directory, runAs);
  const tools = { ...findTools(['nsenter', 'setpriv', 'env'] as const), ...(restore.limits.length > 0 ? findTools(['prlimit'] as const) : {}), ...(restore.niceness !== undefined ? findTools(['nice'] as const) : {}) };

  const covering = await ensureNamespace(paths, cannotCreate);

  const plan = planEntry({
    tools,
    paths,
    caller: runAs,
    directory,
    command,
    environment: splitEnvironment(target),
    route: execRoute(launch),
    restore,
    covering,
  });
  process.umask(callerUmask);
  return execute(plan, launch, args);
}

/**
 * Who asks for --list or --status, and what the policy lets them use: the
 * caller through sudo, pkexec or a setuid wrapper when elevated, otherwise
 * the plain user, who may read the policy file too. Reports never fail on
 * privilege; a policy that cannot be read means "no".
 */
interface AskerView {
  readonly user: string;
  readonly privilege: Elevation | 'none';
  readonly may: (name: string, action: Action) => boolean;
}

async function asker(): Promise<AskerView> {
  let who: Pick<Caller, 'user' | 'uid' | 'gid' | 'groups'>;
  let privilege: Elevation | 'none';
  if (process.geteuid!() === 0) {
    const caller = resolveCaller(currentIds(), process.env);
    who = caller;
    privilege = caller.elevation;
  } else {
    who = { user: userInfo().username, uid: process.getuid!(), gid: process.getgid!(), groups: process.getgroups!() };
    privilege = 'none';
  }
  if (who.uid === 0) return { user: who.user, privilege, may: () => true };
  try {
    const policy = loadPolicy();
    const member = await memberOf(who, policy, findTool('getent'));
    return { user: who.user, privilege, may: (name, action) => may(policy, member, name, action) };
  } catch {
    return { user: who.user, privilege, may: () => false };
  }
}

function print(text: string): void {
  process.stdout.write(text);
}

/** The actions that need root: a plain user's netns-run elevates itself for them. */
const PRIVILEGED = new Set(['run', 'ensure', 'down']);

async function perform(request: Exclude<Request, { kind: 'answered' }>, args: readonly string[], launch: Launch): Promise<Ending> {
  if (PRIVILEGED.has(request.kind) && process.geteuid!() !== 0) return elevate(request, args, launch);
  switch (request.kind) {
    case 'run':
      return run(request, args, launch);
    case 'list': {
      const who = await asker();
      const rows = listNamespaces((name) => who.may(name, 'use'));
      print(request.json ? `${JSON.stringify(rows, null, 2)}\n` : formatList(rows));
      return OK;
    }
    case 'status': {
      const paths = pathsFor(request.name);
      const who = await asker();
      const report = status(paths, { user: who.user, privilege: who.privilege, mayUse: who.may(paths.name, 'use'), mayCreate: who.may(paths.name, 'create') });
      print(request.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, paths));
      return { kind: 'code', code: report.usable ? 0 : 1 };
    }
    case 'ensure': {
      process.umask(0o022);
      const paths = pathsFor(request.name);
      const caller = resolveCaller(currentIds(), process.env);
      takeOverInherited();
      await ensureNamespace(paths, await checkPolicy(caller, paths, 'create'));
      return OK;
    }
    case 'down': {
      const caller = resolveCaller(currentIds(), process.env);
      if (caller.uid !== 0) throw new NetnsRunError(`only root may tear a namespace down; ${caller.user} may not`);
      takeOverInherited();
      for (const note of await tearDown(pathsFor(request.name), request.force)) process.stderr.write(`netns-run: ${note}\n`);
      return OK;
    }
    case 'unit':
      print(dropIn(request.name));
      return OK;
  }
}

function report(error: unknown): Ending {
  if (error instanceof NetnsRunError) {
    process.stderr.write(`netns-run: ${oneLine(error.message)}\n`);
    return { kind: 'code', code: error.status };
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`netns-run: unexpected failure: ${oneLine(message)}; please report this\n`);
  if (process.env.NETNS_RUN_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return { kind: 'code', code: EXIT_FAILURE };
}

/** The only place that turns what happened into how the process ends. */
export async function main(args: readonly string[], launch: Launch): Promise<Ending> {
  try {
    refuseNodeDebugging(process.env, process.getuid!() !== process.geteuid!());
    const request = await parseCommandLine(args);
    if (request.kind === 'answered') return OK;
    return await perform(request, args, launch);
  } catch (error) {
    return report(error);
  }
}

export function end(ending: Ending): void {
  if (ending.kind === 'signal') {
    // Die the way the target died, so a parent's waitpid() sees the same thing.
    process.removeAllListeners(ending.signal);
    process.kill(process.pid, ending.signal);
    return;
  }
  process.exitCode = ending.code;
}
