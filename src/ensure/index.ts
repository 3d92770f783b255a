import type { NamespacePaths } from '../name.js';
import { planEnsure, type EnsureStep } from '../plan.js';
import { findTools, type Tools } from '../tools.js';
import { inspect } from './inspect.js';
import { lockStateDir } from './lock.js';
import { createMntns, makeHostMountPoint, makeStateDirPrivate, rebindReplacedCovers, removeStaleMntns } from './mntns.js';
import { createNetns, removeStaleNetns } from './netns.js';
import { syncCopies, writeDefaultNsswitchConf, writeDefaultResolvConf } from './resolver.js';
import { newUndo, type Undo } from './undo.js';

type SetupTools = Pick<Tools, 'ip' | 'nsenter' | 'unshare' | 'mount' | 'umount' | 'sh' | 'flock' | 'taskset'>;

async function perform(step: EnsureStep, paths: NamespacePaths, tools: SetupTools, undo: Undo): Promise<void> {
  switch (step) {
    case 'make-state-dir':
      return; // the lock made it: it is what we lock on
    case 'make-state-dir-private':
      return makeStateDirPrivate(paths, tools, undo);
    case 'remove-stale-netns':
      return removeStaleNetns(paths);
    case 'create-netns':
      return createNetns(paths, tools, undo);
    case 'default-resolv-conf':
      return writeDefaultResolvConf(paths, undo);
    case 'default-nsswitch-conf':
      return writeDefaultNsswitchConf(paths, undo);
    case 'host-mount-point-resolv-conf':
      return makeHostMountPoint('/etc/resolv.conf', 'file', undo);
    case 'host-mount-point-nsswitch-conf':
      return makeHostMountPoint('/etc/nsswitch.conf', 'file', undo);
    case 'host-mount-point-nscd':
      return makeHostMountPoint('/run/nscd', 'directory', undo);
    case 'remove-stale-mntns':
      return removeStaleMntns(paths, tools);
    case 'create-mntns':
      return createMntns(paths, tools, undo);
    case 'rebind-replaced-covers':
      return rebindReplacedCovers(paths, tools);
  }
}

/**
 * Brings NAME to a usable state: idempotent, safe when several callers race
 * on first use (one makes, the others wait and find it made), and all or
 * nothing (a failure takes back what this call made). The warm path takes
 * no lock and runs no helper. cannotCreate, when given, is raised if the
 * network namespace itself would have to be made: the caller may only use it.
 */
export async function ensureNamespace(paths: NamespacePaths, cannotCreate?: Error): Promise<void> {
  if (planEnsure(inspect(paths)).length === 0) {
    syncCopies(paths);
    return;
  }
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
    if (cannotCreate !== undefined && steps.includes('create-netns')) throw cannotCreate;
    for (const step of steps) {
      await perform(step, paths, tools, undo);
      await signalsHandled();
    }
    syncCopies(paths);
    await signalsHandled();
    undo.commit();
  } catch (error) {
    undo.rollback();
    throw error;
  } finally {
    release?.();
    for (const signal of STOP_SIGNALS) process.off(signal, stay);
  }
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
