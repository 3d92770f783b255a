import { isCrashLeftover } from '../ensure/inspect.js';
import type { Elevation } from '../caller.js';
import { POLICY_FILE } from '../policy.js';
import type { NamespacePaths } from '../name.js';
import { findTool, type ToolName } from '../tools.js';
import { report, type NamespaceReport } from './report.js';

const NEEDED_TOOLS: readonly ToolName[] = ['nsenter', 'setpriv', 'env', 'ip', 'mount', 'umount', 'unshare', 'flock', 'taskset', 'sh'];

export interface StatusReport extends NamespaceReport {
  /** How this netns-run is privileged, or 'none'. */
  readonly privilege: Elevation | 'none';
  /** Helper name -> absolute path, or null where it is missing or unsafe. */
  readonly helpers: Readonly<Record<string, string | null>>;
  /** Why a run would fail now, one sentence each; empty when usable. */
  readonly problems: readonly string[];
  readonly usable: boolean;
}

/** Who asks, as far as a report needs: their name, and whether the policy lets them use NAME. */
export interface Asker {
  readonly user: string;
  readonly privilege: Elevation | 'none';
  readonly mayUse: boolean;
  readonly mayCreate: boolean;
}

export function status(paths: NamespacePaths, asker: Asker): StatusReport {
  const { privilege } = asker;
  const base = report(paths);
  const helpers: Record<string, string | null> = {};
  const problems: string[] = [];
  for (const tool of NEEDED_TOOLS) {
    try {
      helpers[tool] = findTool(tool);
    } catch (error) {
      helpers[tool] = null;
      problems.push((error as Error).message);
    }
  }
  if (privilege === 'none') problems.push('not running as root: run netns-run as root or through sudo');
  if (!asker.mayUse) problems.push(`no rule in ${POLICY_FILE} lets ${asker.user} use ${paths.name}; ask an administrator`);
  else if (base.netns !== 'mounted' && !asker.mayCreate) {
    problems.push(`${paths.name} does not exist yet and no rule in ${POLICY_FILE} lets ${asker.user} make it; ask an administrator`);
  }
  if (base.resolverProblem !== undefined) problems.push(base.resolverProblem);
  if (base.netns === 'stale' && !isCrashLeftover(paths.netns)) {
    problems.push(`${paths.netns} is a leftover file, not a namespace, and not empty; remove it or choose another name`);
  }
  // A stale or missing mount namespace is not a problem: the next run makes it again.
  return { ...base, privilege, helpers, problems, usable: problems.length === 0 };
}

export function formatStatus(s: StatusReport, paths: NamespacePaths): string {
  const netns = {
    mounted: `${paths.netns} (${s.madeByNetnsRun ? 'made by netns-run' : 'made by another tool'})`,
    missing: `${paths.netns} does not exist yet; the first run makes it`,
    stale: isCrashLeftover(paths.netns) ? `${paths.netns} is an empty leftover; the next run replaces it` : `${paths.netns} is a leftover file, not a namespace`,
  }[s.netns];
  const mntns = {
    current: `${paths.mntns} (kept)`,
    missing: 'none yet; the next run makes it',
    stale: `${paths.mntns} is stale; the next run makes it again`,
  }[s.mountNamespace];
  const missingHelpers = Object.entries(s.helpers).filter(([, path]) => path === null).map(([tool]) => tool);
  const lines = [
    ['name', s.name],
    ['network ns', netns],
    ['mount ns', mntns],
    ['resolv.conf', s.resolvConf ? `${s.resolvConf}: ${s.nameservers.join(', ') || 'no nameserver'}` : `${paths.resolvConf} (missing; defaults are written on first use)`],
    ['nsswitch.conf', s.nsswitchConf || `${paths.nsswitchConf} (missing; made from the host's on first use)`],
    ['privilege', s.privilege],
    ['helpers', missingHelpers.length ? `missing: ${missingHelpers.join(', ')}` : 'all found'],
    ['usable', s.usable ? 'yes' : 'no'],
    ...s.problems.map((problem) => ['problem', problem]),
  ];
  return lines.map(([key, value]) => `${`${key}:`.padEnd(15)}${value}`).join('\n') + '\n';
}
