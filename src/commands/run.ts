import { resolve } from 'node:path';
import { asCaller, callerDirectory, checkCommandWord, checkDirectory, currentDirectory, findCommand } from '../access.js';
import { authorise } from '../authorise.js';
import { accountOf, type Caller } from '../caller.js';
import type { RunRequest } from '../cli.js';
import { splitEnvironment, targetEnvironment } from '../environment.js';
import { EXIT_NOT_FOUND, NetnsRunError } from '../errors.js';
import { ensureNamespace } from '../ensure/index.js';
import { execRoute, execute, type Launch } from '../exec/launch.js';
import type { Ending } from '../exec/status.js';
import { pathsFor } from '../name.js';
import { planEntry } from '../exec/plan.js';
import type { Restore } from '../inherited.js';
import { findTools, findTool } from '../tools.js';

/**
 * sudo replaces PATH with its secure_path (when sudoers sets one): a
 * command the caller finds in ~/bin is then "not found" for no reason they
 * can see. Said in the message, with the two ways out.
 */
function notFoundUnderSudo(error: unknown, caller: Caller, path: string | undefined): unknown {
  if (!(error instanceof NetnsRunError) || error.status !== EXIT_NOT_FOUND || caller.elevation !== 'sudo') return error;
  return new NetnsRunError(
    `${error.message.replace(/; check the name or give its full path$/, '')}; the PATH searched is the one sudo set (its secure_path): ${path ?? '(none)'}; ` +
      "give the command's full path, or ask an administrator for 'elevate sudo keep-env' in /etc/netns-run.conf and run netns-run without sudo",
    EXIT_NOT_FOUND,
  );
}

/**
 * who calls -> may they -> check what they name -> ensure the namespaces ->
 * plan the entry -> exec. `restore` is what the caller's limits and
 * priority were (inherited.ts), for the target. `callerEnv` is the environment the caller handed
 * over when netns-run elevated itself (handover.ts), else undefined: the
 * environment this process got is the caller's.
 */
export async function run(
  request: RunRequest,
  caller: Caller,
  restore: Restore,
  callerEnv: Record<string, string> | undefined,
  args: readonly string[],
  launch: Launch,
): Promise<Ending> {
  // What netns-run makes must be readable inside whatever umask the caller
  // has; the target gets the caller's umask back.
  const callerUmask = process.umask(0o022);
  if (request.user !== undefined && caller.uid !== 0) {
    throw new NetnsRunError(`only root may run a command as another user (--user); as ${caller.user}, leave --user out`);
  }
  const env = callerEnv ?? process.env;
  const paths = pathsFor(request.name);
  const cannotCreate = await authorise(caller, paths, 'create');
  // Root may name another account; the command then runs as that account in every respect.
  const runAs = request.user === undefined ? caller : await accountOf(request.user, findTool('getent'));
  // $PWD is compared with the real directory as the caller: root's view would tell them whether a hidden path leads here.
  const here = request.chdir !== undefined && request.chdir.startsWith('/') ? '/' : asCaller(caller, () => callerDirectory(env, currentDirectory()));
  const directory = request.chdir === undefined ? here : resolve(here, request.chdir);
  checkDirectory(directory, runAs, request.chdir);
  const target = targetEnvironment(env, runAs, request.name);
  // No command: the caller's own shell, as `sudo -s` starts it.
  const command = request.command.length > 0 ? request.command : [runAs.shell];
  checkCommandWord(command[0]!);
  try {
    findCommand(command[0]!, target.PATH, directory, runAs);
  } catch (error) {
    throw callerEnv === undefined ? notFoundUnderSudo(error, caller, target.PATH) : error;
  }
  const tools = { ...findTools(['nsenter', 'setpriv', 'env'] as const), ...(restore.limits.length > 0 ? findTools(['prlimit'] as const) : {}), ...(restore.niceness !== undefined ? findTools(['nice'] as const) : {}) };

  const { covering } = await ensureNamespace(paths, cannotCreate);

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
