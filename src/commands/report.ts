import { existsSync } from 'node:fs';
import { madeByNetnsRun, namespaceId, namespaceState } from '../ensure/inspect.js';
import { readTrusted } from '../ensure/resolver.js';
import type { NamespacePaths } from '../name.js';
import { wireGuardFiles } from '../network/files.js';
import { describeTunnels, type NetworkReport } from '../network/report.js';
import { describeLinks, type LinksReport } from '../network/links.js';
import { loadNetworkConf, type NetworkConf } from '../network/network-conf.js';
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

/**
 * detail: what the kernel has for each tunnel too (root, --status); without
 * it a report runs no helper. --list calls this once a namespace: each fact
 * is read once (the namespace's id, the resolver file), about a dozen
 * system calls, and nothing the same for every namespace is read again.
 */
export function describeNamespace(paths: NamespacePaths, detail = false): NamespaceReport {
  const id = namespaceId(paths.netns);
  // Read first, and refused as a whole (a *.conf named like no interface), as inspect() does.
  const files = wireGuardFiles(paths.configDir);
  const { netns, mntns } = namespaceState(paths, id);
  const resolv = trustedResolvConf(paths);
  // A file read (or refused) is there; one the trusted read found missing is not: no second look.
  const resolvConf = resolv.text !== undefined || (resolv.problem !== undefined && existsSync(paths.resolvConf));
  const conf = readOnce(paths);
  const report: NamespaceReport = {
    name: paths.name,
    netns,
    madeByNetnsRun: madeByNetnsRun(paths, id),
    mountNamespace: mntns,
    resolvConf: resolvConf ? paths.resolvConf : '',
    nameservers: nameservers(resolv.text),
    nsswitchConf: existsSync(paths.nsswitchConf) ? paths.nsswitchConf : '',
    ...(resolv.problem !== undefined ? { resolverProblem: resolv.problem } : {}),
    network: describeTunnels(paths, detail, id, files),
    links: describeLinks(paths, detail, conf),
    forwards: describeForwards(paths, declaredForwards(conf)),
  };
  const inside = detail ? describeInside(paths) : undefined;
  return inside === undefined ? report : { ...report, inside };
}

/** network.conf, read (and parsed) once for every part of the report: what it says, or why it was refused. */
function readOnce(paths: NamespacePaths): () => NetworkConf | undefined {
  let read: { conf: NetworkConf | undefined } | { error: unknown } | undefined;
  return () => {
    if (read === undefined) {
      try {
        read = { conf: loadNetworkConf(paths) };
      } catch (error) {
        read = { error };
      }
    }
    if ('error' in read) throw read.error;
    return read.conf;
  };
}

/** The forwards network.conf declares, with the links that decide what carries them; none where it cannot be read (a run would say why). */
function declaredForwards(conf: () => NetworkConf | undefined): Pick<NetworkConf, 'forwards' | 'links'> {
  try {
    return conf() ?? { forwards: [], links: [] };
  } catch {
    return { forwards: [], links: [] };
  }
}
