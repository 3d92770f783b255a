// Making and repairing a namespace: everything ensureNamespace (index.ts)
// does once a look has shown that something is missing or --ensure asks
// for its network to be brought in line. Loaded on demand: a warm run never
// evaluates this module or anything only it imports (the set-up chunk,
// docs/development.md). New set-up code goes here or below it.
import { accessSync, constants, readFileSync } from 'node:fs';
import { NetnsRunError } from '../errors.js';
import type { NamespacePaths } from '../name.js';
import type { CreateRefused } from '../policy.js';
import { loadNetworkConfig } from '../network/config.js';
import { renderResolvConf } from '../network/wg-quick.js';
import { reconcileTunnels } from '../network/wireguard.js';
import { findTools } from '../tools.js';
import { KEPT, notHere, type Ensured } from './index.js';
import { inspect, namespaceId } from './inspect.js';
import { lockStateDir } from './lock.js';
import { NETWORK_CONF_STEPS, planEnsure, type NamespaceFacts } from './plan.js';
import { loadNetworkConf, type NetworkConf } from '../network/network-conf.js';
import { adoptTunnelResolvConf, syncCopies } from './resolver.js';
import { step, type SetupContext } from './steps.js';
import { newUndo } from './undo.js';

/** ensureNamespace's set-up, all or nothing, under NAME's lock. FACTS: what inspect() saw before the lock was taken. */
export async function setUp(paths: NamespacePaths, facts: NamespaceFacts, cannotCreate: CreateRefused | undefined, reconcile: boolean): Promise<Ensured> {
  const readOnly = readOnlyDirectory(paths, facts);
  if (readOnly !== undefined) throw notHere(paths, `${readOnly} is read-only`);
  const tools = findTools(['ip', 'nsenter', 'unshare', 'mount', 'umount', 'sh', 'flock', 'taskset', 'perl'] as const);
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
    // Putting a tunnel or a link in (a host end, NAT) is making the namespace's network: create as well.
    if (cannotCreate !== undefined && steps.includes('create-netns')) throw cannotCreate;
    if (cannotCreate !== undefined && (steps.includes('make-tunnels') || steps.includes('make-links'))) throw cannotCreate.forNetwork();
    // Every WireGuard file is read and checked before the first step: a bad one makes nothing.
    const network = reconcile || steps.includes('make-tunnels') || steps.includes('default-resolv-conf') ? loadNetworkConfig(paths) : undefined;
    // network.conf likewise, whenever a part of it is to be applied.
    const conf = reconcile || steps.some((name) => NETWORK_CONF_STEPS.includes(name)) ? loadNetworkConf(paths) : undefined;
    const context: SetupContext = { paths, tools, undo, ...(network !== undefined ? { network } : {}), ...(conf !== undefined ? { conf } : {}) };
    // Under --ensure the tunnels are made by the reconciliation below, which says what it made.
    for (const name of reconcile ? steps.filter((name) => name !== 'make-tunnels') : steps) {
      await step(name).apply(context);
      await signalsHandled();
    }
    const notes = reconcile ? reconcileTunnels(network!.interfaces, paths, namespaceId(paths.netns)!, undo) : [];
    if (reconcile && adoptTunnelResolvConf(paths, renderResolvConf(network!.dns, network!.dir), undo)) notes.push(`resolv.conf: the name servers of DNS = in ${network!.dir}`);
    if (reconcile && !steps.includes('record-network')) notes.push(...(await reconcileNetworkConf(paths, context, conf)));
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

/**
 * --ensure after an edit of network.conf (or its removal): what the old file
 * made is taken away and the new one applied, under the same lock and undo
 * as the rest. Coarse but exact: each part removes what its records say it
 * made, whatever the file says now.
 */
async function reconcileNetworkConf(paths: NamespacePaths, context: SetupContext, conf: NetworkConf | undefined): Promise<string[]> {
  const recorded = readMadeFingerprint(paths);
  if (recorded === (conf?.fingerprint ?? undefined)) return [];
  const notes: string[] = [];
  if (recorded !== undefined) {
    const teardown = { paths, tools: context.tools, force: false, notes };
    for (const name of [...NETWORK_CONF_STEPS].reverse()) step(name).tearDown?.(teardown);
  }
  if (conf !== undefined) {
    for (const name of NETWORK_CONF_STEPS) {
      await step(name).apply(context);
      await signalsHandled();
    }
  }
  notes.push(conf === undefined ? `network.conf: removed what ${paths.networkConf} had made` : `network.conf: applied ${paths.networkConf} ${recorded === undefined ? '' : 'again after an edit'}`.trimEnd());
  return notes;
}

/** The digest network.conf had when it was applied to this network namespace, if it was. */
function readMadeFingerprint(paths: NamespacePaths): string | undefined {
  let text: string;
  try {
    text = readFileSync(paths.networkMade, 'utf8');
  } catch {
    return undefined;
  }
  const [id, fingerprint] = text.trim().split(' ');
  return id === namespaceId(paths.netns) ? fingerprint : undefined;
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

