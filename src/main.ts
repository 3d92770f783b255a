// The dispatcher, as iproute2's do_netns is: parse, then hand the request to
// its command (src/commands/), to self-elevation when a plain user asks for
// what needs root (elevate.ts), and turn whatever happened into how the
// process ends. Nothing else decides that.
//
// Only a run is imported here: every other command, and self-elevation, is
// taken with import(), which the bundle turns into its set-up chunk, so that
// the warm path never loads them (docs/development.md).

import { askerOf, mayHandOverEnvironment, plainUser, type Asker } from './authorise.js';
import { currentIds, resolveCaller, type Caller } from './caller.js';
import { parseCommandLine, type Request } from './cli.js';
import { run } from './commands/run.js';
import type { SelfElevation } from './commands/status.js';
import { EXIT_FAILURE, NetnsRunError, oneLine } from './errors.js';
import { OK, type Launch } from './exec/launch.js';
import type { Ending } from './exec/status.js';
import { CALLER_ENV_OPTION, takeHandover } from './handover.js';
import { refuseNodeDebugging, takeOverInherited } from './inherited.js';
import { pathsFor } from './name.js';

export type { Launch } from './exec/launch.js';

type Action = Exclude<Request, { kind: 'answered' }>;

/** The actions that need root: a plain user's netns-run elevates itself for them. */
const PRIVILEGED = new Set<Action['kind']>(['run', 'ensure', 'down']);

/**
 * Who asks for --list or --status: the caller through sudo, pkexec or a
 * setuid wrapper when elevated, otherwise the plain user, who reads the
 * policy file themselves.
 */
async function whoAsks(): Promise<Asker> {
  if (process.geteuid!() !== 0) return askerOf(plainUser(), 'none');
  const caller = resolveCaller(currentIds(), process.env);
  return askerOf(caller, caller.elevation);
}

/**
 * The environment the caller handed over when netns-run elevated itself,
 * taken first thing: its being taken is how the plain user's netns-run
 * knows this one started (see elevate.ts).
 */
function handedOver(request: Action, caller: Caller): Record<string, string> | undefined {
  if (!('callerEnv' in request) || request.callerEnv === undefined) return undefined;
  const env = takeHandover(request.callerEnv, caller);
  if (Object.keys(env).length === 0) return undefined;
  mayHandOverEnvironment(caller);
  return env;
}

async function dispatch(request: Action, args: readonly string[], launch: Launch): Promise<Ending> {
  if (PRIVILEGED.has(request.kind)) {
    if (process.geteuid!() !== 0) {
      if ('callerEnv' in request && request.callerEnv !== undefined) throw new NetnsRunError(`${CALLER_ENV_OPTION} is for netns-run's own self-elevation, as root; leave it out`);
      const { elevate } = await import('./elevate.js');
      return elevate(request, args, launch);
    }
    const caller = resolveCaller(currentIds(), process.env);
    // Taken before anything else can refuse the run: through sudo no parent is left to remove it.
    const callerEnv = handedOver(request, caller);
    // Root's set-up runs with limits and a priority of its own, not the caller's.
    const restore = takeOverInherited();
    switch (request.kind) {
      case 'run':
        return run(request, caller, restore, callerEnv, args, launch);
      case 'ensure': {
        const { ensure } = await import('./commands/ensure.js');
        await ensure(request, caller);
        return OK;
      }
      case 'down': {
        const { down } = await import('./commands/down.js');
        await down(request, caller);
        return OK;
      }
    }
  }
  switch (request.kind) {
    case 'list': {
      const { list } = await import('./commands/list.js');
      process.stdout.write(await list(request, await whoAsks()));
      return OK;
    }
    case 'status': {
      const { formatStatus, status } = await import('./commands/status.js');
      const paths = pathsFor(request.name);
      const asker = await whoAsks();
      // A plain user's real question is whether their run would work, and that run elevates itself.
      const elevation: SelfElevation | undefined =
        asker.privilege === 'none' && asker.policyProblem === undefined ? await (await import('./elevate.js')).selfElevation(request.name) : undefined;
      const report = status(paths, asker, elevation);
      process.stdout.write(request.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, paths));
      return { kind: 'code', code: report.usable ? 0 : 1 };
    }
    case 'unit': {
      const { dropIn } = await import('./commands/unit.js');
      process.stdout.write(dropIn(request.name));
      return OK;
    }
    default:
      throw new Error(`no command for ${request.kind}`);
  }
}

/** A failure as the user sees it: one line of ours, and the status it carries. */
function failureEnding(error: unknown): Ending {
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
    return await dispatch(request, args, launch);
  } catch (error) {
    return failureEnding(error);
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
