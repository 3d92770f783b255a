import type { NamespacePaths } from '../name.js';
import { NetnsRunError } from '../errors.js';
import { accessSync, constants } from 'node:fs';
import { loadNetworkConfig } from '../network/config.js';
import { readRecords, wireGuardFiles, wireGuardPaths } from '../network/files.js';
import { renderResolvConf } from '../network/wg-quick.js';
import { reconcileTunnels } from '../network/wireguard.js';
import { findTools, type Tools } from '../tools.js';
import { inspect, keptElsewhere, namespaceId } from './inspect.js';
import { lockStateDir } from './lock.js';
import { planEnsure, type NamespaceFacts } from './plan.js';
import { adoptTunnelResolvConf, syncCopies } from './resolver.js';
import { step, type SetupContext } from './steps.js';
import { newUndo } from './undo.js';

/**
 * How a run gets the covers: by entering the kept mount namespace (the
 * host's own mount namespace, or any that has the bind), or, where that bind
 * is out of reach (a hardened systemd service: see keptElsewhere), by a mount
 * namespace of its own made from the caller's (exec/plan.ts).
 */
export type Covering = { readonly kind: 'kept' } | { readonly kind: 'per-run'; readonly tools: Pick<Tools, 'unshare' | 'sh' | 'mount' | 'umount'> };

const KEPT: Covering = { kind: 'kept' };

/** What ensureNamespace did: how a run gets its covers, and what --ensure changed in a standing network. */
export interface Ensured {
  readonly covering: Covering;
  /** A line for each tunnel --ensure made again or removed. */
  readonly notes: readonly string[];
}

export interface EnsureOptions {
  /** --ensure: bring live tunnels to what their files say now (a run leaves a standing network alone). */
  readonly reconcile?: boolean;
}

/**
 * Brings NAME to a usable state: idempotent, safe when several callers race
 * on first use (one makes, the others wait and find it made), and all or
 * nothing (a failure takes back what this call made). The warm path takes
 * no lock and runs no helper. cannotCreate, when given, is raised if the
 * network namespace itself would have to be made: the caller may only use it.
 */
export async function ensureNamespace(paths: NamespacePaths, cannotCreate?: Error, options: EnsureOptions = {}): Promise<Ensured> {
  const facts = inspect(paths);
  // --ensure also brings the tunnels to what the files say now; a caller who may only use NAME does not change its network.
  const reconcile = options.reconcile === true && cannotCreate === undefined && hasNetwork(paths);
  if (planEnsure(facts).length === 0 && !reconcile) {
    syncCopies(paths);
    return { covering: KEPT, notes: [] };
  }
  if (keptElsewhere(paths)) {
    // Everything exists; only the bind of mntns is not in this mount
    // namespace. Nothing is written here (the service may see /run and /etc
    // read-only), and the kept namespace is not entered: it is a copy of the
    // host's tree and would undo the service's own hardening.
    const missing = planEnsure({ ...facts, mntns: 'current', replacedCovers: [] });
    if (missing.length > 0) throw notHere(paths, `it lacks ${missing.join(', ')}`);
    syncCopiesIfWritable(paths);
    return { covering: { kind: 'per-run', tools: findTools(['unshare', 'sh', 'mount', 'umount'] as const) }, notes: [] };
  }
  const readOnly = readOnlyDirectory(paths, facts);
  if (readOnly !== undefined) throw notHere(paths, `${readOnly} is read-only`);
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
    // Under --ensure the tunnels are made by the reconciliation below, which says what it made.
    for (const name of reconcile ? steps.filter((name) => name !== 'make-tunnels') : steps) {
      await step(name).apply(context);
      await signalsHandled();
    }
    const notes = reconcile ? reconcileTunnels(network!.interfaces, paths, namespaceId(paths.netns)!, undo) : [];
    if (reconcile && adoptTunnelResolvConf(paths, renderResolvConf(network!.dns, network!.dir), undo)) notes.push(`resolv.conf: the name servers of DNS = in ${network!.dir}`);
    syncCopies(paths);
    await signalsHandled();
    undo.commit();
    return { covering: KEPT, notes };
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

/**
 * Set-up writes under /run and /etc: inside a service with
 * ProtectSystem=strict both are read-only. Said before anything is tried,
 * in one line that says what to do, instead of an EROFS half-way.
 */
function readOnlyDirectory(paths: NamespacePaths, facts: NamespaceFacts): string | undefined {
  const written = [[paths.stateDir, '/run']];
  if (!facts.resolvConf || !facts.nsswitchConf) written.push([paths.etcDir, '/etc/netns', '/etc']);
  for (const candidates of written) {
    // The nearest directory that exists is where the first write lands.
    for (const path of candidates) {
      try {
        accessSync(path, constants.W_OK);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue;
        if (code === 'EROFS') return path;
      }
      break;
    }
  }
  return undefined;
}

function notHere(paths: NamespacePaths, why: string): NetnsRunError {
  // Made inside a service's own mount namespace, the binds would stay there: it must be made outside.
  return new NetnsRunError(
    `cannot set up namespace ${paths.name} here: ${why} (a systemd unit with ProtectSystem=?); ` +
      `have it made outside first: Requires= and After=netns-run@${paths.name}.service`,
  );
}

/**
 * The copies follow edits of /etc/netns/NAME when /run is writable; in a
 * read-only /run they stay what the kept namespace shows until the next run
 * outside brings both up to date.
 */
function syncCopiesIfWritable(paths: NamespacePaths): void {
  try {
    syncCopies(paths);
  } catch (error) {
    try {
      accessSync(paths.stateDir, constants.W_OK);
    } catch (probe) {
      if ((probe as NodeJS.ErrnoException).code === 'EROFS') return;
    }
    throw error;
  }
}
