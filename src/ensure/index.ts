import type { NamespacePaths } from '../name.js';
import type { CreateRefused } from '../policy.js';
import { NetnsRunError } from '../errors.js';
import { accessSync, constants, existsSync } from 'node:fs';
import { readRecords, wireGuardFiles, wireGuardPaths } from '../network/files.js';
import { findTools, type Tools } from '../tools.js';
import { inspect, keptElsewhere } from './inspect.js';
import { planEnsure } from './plan.js';
import { syncCopies } from './resolver.js';

/**
 * How a run gets the covers: by entering the kept mount namespace (the
 * host's own mount namespace, or any that has the bind), or, where that bind
 * is out of reach (a hardened systemd service: see keptElsewhere), by a mount
 * namespace of its own made from the caller's (exec/plan.ts).
 */
export type Covering = { readonly kind: 'kept' } | { readonly kind: 'per-run'; readonly tools: Pick<Tools, 'unshare' | 'sh' | 'mount' | 'umount'> };

export const KEPT: Covering = { kind: 'kept' };

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
export async function ensureNamespace(paths: NamespacePaths, cannotCreate?: CreateRefused, options: EnsureOptions = {}): Promise<Ensured> {
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
  const { setUp } = await import('./set-up.js');
  return setUp(paths, facts, cannotCreate, reconcile);
}

/** Does NAME have a network of netns-run's to keep in line: files that ask for one, or tunnels made earlier? */
function hasNetwork(paths: NamespacePaths): boolean {
  if (existsSync(paths.networkConf) || existsSync(paths.networkMade)) return true;
  return wireGuardFiles(paths.configDir).length > 0 || readRecords(wireGuardPaths(paths)).length > 0;
}

export function notHere(paths: NamespacePaths, why: string): NetnsRunError {
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
