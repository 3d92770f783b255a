import type { NamespacePaths } from '../name.js';
import { NetnsRunError } from '../errors.js';
import { loadNetworkConfig, wireGuardFiles } from '../network/config.js';
import { readRecords, reconcileTunnels, wireGuardPaths } from '../network/wireguard.js';
import { findTools } from '../tools.js';
import { inspect, namespaceId } from './inspect.js';
import { lockStateDir } from './lock.js';
import { planEnsure } from './plan.js';
import { syncCopies } from './resolver.js';
import { step, type SetupContext } from './steps.js';
import { newUndo } from './undo.js';

/**
 * Brings NAME to a usable state: idempotent, safe when several callers race
 * on first use (one makes, the others wait and find it made), and all or
 * nothing (a failure takes back what this call made). The warm path takes
 * no lock and runs no helper. cannotCreate, when given, is raised if the
 * network namespace itself would have to be made: the caller may only use it.
 */
export async function ensureNamespace(paths: NamespacePaths, cannotCreate?: Error, options: EnsureOptions = {}): Promise<string[]> {
  // --ensure also brings the tunnels to what the files say now; a caller who may only use NAME does not change its network.
  const reconcile = options.reconcile === true && cannotCreate === undefined && hasNetwork(paths);
  if (planEnsure(inspect(paths)).length === 0 && !reconcile) {
    syncCopies(paths);
    return [];
  }
  let notes: string[] = [];
  const tools = findTools(['ip', 'nsenter', 'unshare', 'mount', 'umount', 'sh', 'flock', 'taskset'] as const);
  const undo = await newUndo();
  let release: (() => void) | undefined;
  // A stop signal (a caller's Ctrl-Z, which sudo passes on) must not park us
  // holding the lock: every other first use of NAME, root's too, would wait.
  const stay = () => {};
  for (const signal of STOP_SIGNALS) process.on(signal, stay);
  try {
    release = await lockStateDir(paths, tools.flock, undo);
    // Someone may have made it while we waited: decide again under the lock.
    const steps = planEnsure(inspect(paths));
    // Or removed it: a caller who may only use NAME must not be the one to make it.
    // Putting a tunnel in is making the namespace's network: create as well.
    if (cannotCreate !== undefined && (steps.includes('create-netns') || steps.includes('make-tunnels'))) throw cannotCreate;
    // Every WireGuard file is read and checked before the first step: a bad one makes nothing.
    const network = reconcile || steps.includes('make-tunnels') || steps.includes('default-resolv-conf') ? loadNetworkConfig(paths) : undefined;
    const context: SetupContext = { paths, tools, undo, ...(network !== undefined ? { network } : {}) };
    for (const name of steps) {
      await step(name).apply(context);
      await signalsHandled();
    }
    if (reconcile) notes = reconcileTunnels(network!.interfaces, paths, namespaceId(paths.netns)!, undo);
    syncCopies(paths);
    await signalsHandled();
    undo.commit();
    return notes;
  } catch (error) {
    const left = undo.rollback();
    // What could not be taken back is said, never dropped: the next call, or --down, must deal with it.
    if (left.length > 0 && error instanceof Error) {
      throw new NetnsRunError(`${error.message}; and could not undo: ${left.join(', ')} (netns-run --down ${paths.name} removes what is left)`);
    }
    throw error;
  } finally {
    release?.();
    for (const signal of STOP_SIGNALS) process.off(signal, stay);
  }
}

export interface EnsureOptions {
  /** --ensure: bring live tunnels to what their files say now (a run leaves a standing network alone). */
  readonly reconcile?: boolean;
}

/** Does NAME have a network of netns-run's to keep in line: files that ask for one, or tunnels made earlier? */
function hasNetwork(paths: NamespacePaths): boolean {
  return wireGuardFiles(paths.configDir).length > 0 || readRecords(wireGuardPaths(paths)).length > 0;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTSTP', 'SIGTTIN', 'SIGTTOU'];

/**
 * The helpers run synchronously, and Node hands a signal to its listeners
 * (the rollback) only from its event loop: one turn of it after each step,
 * so that a caller's SIGTERM or Ctrl-C during setup is acted on before the
 * next step, and above all before the setup is committed and the command run.
 */
function signalsHandled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
