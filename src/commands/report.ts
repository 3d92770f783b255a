import { existsSync } from 'node:fs';
import { inspect, madeByNetnsRun } from '../ensure/inspect.js';
import { readTrusted } from '../ensure/resolver.js';
import type { NamespacePaths } from '../name.js';
import { describeTunnels, type NetworkReport } from '../network/report.js';
import { describeLinks, type LinksReport } from '../network/links.js';
import { loadNetworkConf } from '../network/network-conf.js';
import { describeInside, type InsideReport } from '../network/inside-report.js';
import { describeForwards, type ForwardReport } from '../network/forwards.js';

/** What --list and --status say about one namespace; read-only, needs no root. */
export interface NamespaceReport {
  readonly name: string;
  readonly netns: 'mounted' | 'missing' | 'stale';
  /** True only if the marker names this very namespace: a recreated one is someone else's. */
  readonly madeByNetnsRun: boolean;
  readonly mountNamespace: 'current' | 'missing' | 'stale';
  readonly resolvConf: string;
  readonly nameservers: readonly string[];
  readonly nsswitchConf: string;
  /** Why the administrator's resolver files would be refused by a run, if they would. */
  readonly resolverProblem?: string;
  /** The tunnels of /etc/netns-run/NAME/. */
  readonly network: NetworkReport;
  /** The links of network.conf ([Veth], [Macvlan], [Dummy]). */
  readonly links: LinksReport;
  /** What network.conf's sysctl, ruleset, nscd and hooks made (root: the records are root's alone). */
  readonly inside?: InsideReport;
  /** The [Forward]s of network.conf and those netns-run runs, with whether each one's process runs. */
  readonly forwards: readonly ForwardReport[];
}

export function nameservers(resolvConf: string | undefined): string[] {
  return (resolvConf ?? '')
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((server): server is string => server !== undefined);
}

/**
 * Reports may run as root (through sudo or a setuid wrapper): the
 * resolvers are read under the same trust rules as a run reads them, so a
 * report never shows what a root-only file, or one a link points at, says.
 */
function trustedResolvConf(paths: NamespacePaths): { text?: string; problem?: string } {
  try {
    return { text: readTrusted(paths.resolvConf, paths.etcDir)?.toString('utf8') };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/** detail: what the kernel has for each tunnel too (root, --status); without it a report runs no helper. */
export function describeNamespace(paths: NamespacePaths, detail = false): NamespaceReport {
  const facts = inspect(paths);
  const resolv = trustedResolvConf(paths);
  const report: NamespaceReport = {
    name: paths.name,
    netns: facts.netns,
    madeByNetnsRun: madeByNetnsRun(paths),
    mountNamespace: facts.mntns,
    resolvConf: existsSync(paths.resolvConf) ? paths.resolvConf : '',
    nameservers: nameservers(resolv.text),
    nsswitchConf: existsSync(paths.nsswitchConf) ? paths.nsswitchConf : '',
    ...(resolv.problem !== undefined ? { resolverProblem: resolv.problem } : {}),
    network: describeTunnels(paths, detail),
    links: describeLinks(paths, detail, loadNetworkConf),
    forwards: describeForwards(paths, declaredForwards(paths)),
  };
  const inside = detail ? describeInside(paths) : undefined;
  return inside === undefined ? report : { ...report, inside };
}

/** The forwards network.conf declares; none where it cannot be read (a run would say why). */
function declaredForwards(paths: NamespacePaths): NonNullable<ReturnType<typeof loadNetworkConf>>['forwards'] {
  try {
    return loadNetworkConf(paths)?.forwards ?? [];
  } catch {
    return [];
  }
}
