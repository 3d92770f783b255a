import type { Asker } from '../authorise.js';
import { isCrashLeftover } from '../ensure/inspect.js';
import type { Elevation } from '../caller.js';
import { POLICY_FILE } from '../policy.js';
import type { NamespacePaths } from '../name.js';
import { findTool, type ToolName } from '../tools.js';
import { formatTunnel } from '../network/report.js';
import { formatLink } from '../network/links.js';
import { formatInside } from '../network/inside-report.js';
import { formatForward } from '../network/forwards.js';
import { describeNamespace, type NamespaceReport } from './report.js';

const NEEDED_TOOLS: readonly ToolName[] = ['nsenter', 'setpriv', 'env', 'ip', 'mount', 'umount', 'unshare', 'flock', 'taskset', 'sh'];

export interface StatusReport extends NamespaceReport {
  /** How this netns-run is privileged, or 'none'. */
  readonly privilege: Elevation | 'none';
  /** With privilege 'none': how a run would get root (self-elevation). */
  readonly selfElevation?: SelfElevation;
  /** Helper name -> absolute path, or null where it is missing or unsafe. */
  readonly helpers: Readonly<Record<string, string | null>>;
  /** Why a run would fail now, one sentence each; empty when usable. */
  readonly problems: readonly string[];
  readonly usable: boolean;
}

/**
 * For a plain user's netns-run, how it would get root for a run: the
 * method the policy names, and whether it works (sudo is asked with -n -l;
 * pkexec cannot be known without asking for authentication: undefined).
 */
export interface SelfElevation {
  readonly method: 'sudo' | 'pkexec' | 'none';
  readonly works: boolean | undefined;
  /** Why it would not work. */
  readonly problem?: string;
}

/**
 * Would a run of NAME work for the one who asks? A plain user's question is
 * about the run they would type, which elevates itself: so the answer
 * follows self-elevation, not this unprivileged process.
 */
export function status(paths: NamespacePaths, asker: Asker, selfElevation?: SelfElevation): StatusReport {
  const { privilege } = asker;
  // Only root can read the key files and look inside the namespace.
  const base = describeNamespace(paths, process.geteuid!() === 0);
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
  if (privilege === 'none' && selfElevation?.problem !== undefined) problems.push(selfElevation.problem);
  if (asker.policyProblem !== undefined) problems.push(asker.policyProblem);
  else if (!asker.may(paths.name, 'use')) problems.push(`no rule in ${POLICY_FILE} lets ${asker.user} use ${paths.name}; ask an administrator`);
  else if (base.netns !== 'mounted' && !asker.may(paths.name, 'create')) {
    problems.push(`${paths.name} does not exist yet and no rule in ${POLICY_FILE} lets ${asker.user} make it; ask an administrator`);
  }
  if (base.resolverProblem !== undefined) problems.push(base.resolverProblem);
  if (base.network.problem !== undefined) problems.push(base.network.problem);
  if (base.links.problem !== undefined) problems.push(base.links.problem);
  if (base.netns === 'stale' && !isCrashLeftover(paths.netns)) {
    problems.push(`${paths.netns} is a leftover file, not a namespace, and not empty; remove it or choose another name`);
  }
  // A stale or missing mount namespace is not a problem: the next run makes it again.
  return { ...base, privilege, ...(selfElevation !== undefined ? { selfElevation } : {}), helpers, problems, usable: problems.length === 0 };
}

export function formatStatus(s: StatusReport, paths: NamespacePaths): string {
  const netns = {
    mounted: `${paths.netns} (${s.madeByNetnsRun ? 'made by netns-run' : 'made by another tool'})`,
    missing: `${paths.netns} does not exist yet; the first run makes it`,
    stale: isCrashLeftover(paths.netns) ? `${paths.netns} is an empty leftover; the next run replaces it` : `${paths.netns} is a leftover file, not a namespace`,
  }[s.netns];
  const mntns = {
    current: `${paths.mntns} (current)`,
    missing: 'missing; the next run makes it',
    stale: `${paths.mntns} is stale; the next run makes it again`,
  }[s.mountNamespace];
  const elevation = s.selfElevation;
  const privilege =
    elevation === undefined || elevation.method === 'none'
      ? s.privilege
      : `none; a run elevates itself through ${elevation.method}${elevation.works === true ? ', which lets you' : elevation.works === false ? ', which refuses you' : ' (asks polkit then)'}`;
  const missingHelpers = Object.entries(s.helpers).filter(([, path]) => path === null).map(([tool]) => tool);
  const lines = [
    ['name', s.name],
    ['network ns', netns],
    ['mount ns', mntns],
    ['resolv.conf', s.resolvConf ? `${s.resolvConf}: ${s.nameservers.join(', ') || 'no nameserver'}` : `${paths.resolvConf} (missing; defaults are written on first use)`],
    ['nsswitch.conf', s.nsswitchConf || `${paths.nsswitchConf} (missing; made from the host's on first use)`],
    ...(s.network.hidden !== undefined ? [['tunnels', `not shown: ${s.network.hidden}`]] : s.network.tunnels.length === 0 ? [['tunnels', `none (no *.conf in ${s.network.configDir})`]] : s.network.tunnels.map((tunnel) => ['tunnel', formatTunnel(tunnel)])),
    ...s.links.links.map((link) => ['link', formatLink(link)]),
    ...(s.links.natTable !== undefined ? [['nat', `table ${s.links.natTable} on the host`]] : []),
    ...(s.inside !== undefined ? formatInside(s.inside) : []),
    ...s.forwards.map((forward) => ['forward', formatForward(forward)]),
    ['privilege', privilege],
    ['helpers', missingHelpers.length ? `missing: ${missingHelpers.join(', ')}` : 'all found'],
    ['usable', s.usable ? 'yes' : 'no'],
    ...s.problems.map((problem) => ['problem', problem]),
  ];
  return lines.map(([key, value]) => `${`${key}:`.padEnd(15)}${value}`).join('\n') + '\n';
}
