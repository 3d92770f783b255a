import { callerDirectory, checkCommandWord, checkDirectory, findCommand } from './access.js';
import { currentIds, identify, resolveCaller, type Elevation } from './caller.js';
import { parseCommandLine, type Request, type RunRequest } from './cli.js';
import { formatList, listNamespaces } from './commands/list.js';
import { formatStatus, status } from './commands/status.js';
import { dropIn } from './commands/unit.js';
import { splitEnvironment, targetEnvironment } from './environment.js';
import { EXIT_FAILURE, NetnsRunError, oneLine } from './errors.js';
import { ensureNamespace } from './ensure/index.js';
import { tearDown } from './ensure/teardown.js';
import { canExecve, execve } from './exec/execve.js';
import { spawnAndWait } from './exec/spawn.js';
import type { Ending } from './exec/status.js';
import { pathsFor } from './name.js';
import { planEntry } from './plan.js';
import { findTools } from './tools.js';

const OK: Ending = { kind: 'code', code: 0 };

function currentDirectory(): string {
  try {
    return process.cwd();
  } catch (error) {
    throw new NetnsRunError(`the current directory is gone (${(error as NodeJS.ErrnoException).code}); cd to an existing directory and try again`);
  }
}

/** parse -> who calls -> check what they name -> ensure the namespaces -> plan the entry -> exec. */
async function run(request: RunRequest): Promise<Ending> {
  // What netns-run makes must be readable inside whatever umask the caller
  // has; the target gets the caller's umask back.
  const callerUmask = process.umask(0o022);
  const caller = resolveCaller(currentIds(), process.env);
  const directory = callerDirectory(process.env, currentDirectory());
  checkDirectory(directory, caller);
  const target = targetEnvironment(process.env, caller, request.name);
  // No command: the caller's own shell, as `sudo -s` starts it.
  const command = request.command.length > 0 ? request.command : [caller.shell];
  checkCommandWord(command[0]!);
  findCommand(command[0]!, target.PATH, directory, caller);
  const tools = findTools(['nsenter', 'setpriv', 'env'] as const);

  const paths = pathsFor(request.name);
  await ensureNamespace(paths);

  const plan = planEntry({
    tools,
    paths,
    caller,
    directory,
    command,
    environment: splitEnvironment(target),
    path: canExecve() ? 'execve' : 'spawn',
  });
  process.umask(callerUmask);
  return plan.path === 'execve' ? execve(plan) : spawnAndWait(plan);
}

/** How this process is privileged, without failing when it is not. */
function privilege(): Elevation | 'none' {
  try {
    return identify(currentIds(), process.env).elevation;
  } catch {
    return 'none';
  }
}

function print(text: string): void {
  process.stdout.write(text);
}

async function perform(request: Exclude<Request, { kind: 'answered' }>): Promise<Ending> {
  switch (request.kind) {
    case 'run':
      return run(request);
    case 'list': {
      const rows = listNamespaces(process.geteuid!());
      print(request.json ? `${JSON.stringify(rows, null, 2)}\n` : formatList(rows));
      return OK;
    }
    case 'status': {
      const paths = pathsFor(request.name);
      const report = status(paths, privilege());
      print(request.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, paths));
      return { kind: 'code', code: report.usable ? 0 : 1 };
    }
    case 'ensure':
      process.umask(0o022);
      resolveCaller(currentIds(), process.env);
      await ensureNamespace(pathsFor(request.name));
      return OK;
    case 'down': {
      resolveCaller(currentIds(), process.env);
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
export async function main(args: readonly string[]): Promise<Ending> {
  try {
    const request = await parseCommandLine(args);
    if (request.kind === 'answered') return OK;
    return await perform(request);
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
