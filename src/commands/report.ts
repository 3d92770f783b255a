import { existsSync, readdirSync } from 'node:fs';
import { madeByNetnsRun, namespaceId, namespaceState, nsfsDevice } from '../ensure/inspect.js';
import { readTrusted } from '../ensure/resolver.js';
import { CONFIG_DIR, RESOLVER_DIR, STATE_ROOT, type NamespacePaths } from '../name.js';
import { wireGuardFiles } from '../network/files.js';
import { describeTunnels, type NetworkReport } from '../network/report.js';
import { describeLinks, readLinksRecord, type LinksReport } from '../network/links.js';
import { loadNetworkConf, type NetworkConf } from '../network/network-conf.js';
import { describeInside, type InsideReport } from '../network/inside-report.js';
import { describeForwards, type ForwardReport } from '../network/forwards.js';
import { readForwardRecords } from '../network/forward-records.js';
import { checkDirectories } from '../trust.js';

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
 * parentJudged: the listing judged /etc/netns once for all namespaces.
 */
function trustedResolvConf(paths: NamespacePaths, parentJudged: boolean): { text?: string; problem?: string } {
  try {
    return { text: readTrusted(paths.resolvConf, paths.etcDir, parentJudged)?.toString('utf8') };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/**
 * What a listing reads once for every namespace in it, so that one more
 * namespace costs it a few system calls (issue 16): the names that have a
 * state directory, and those with a directory in /etc/netns and in
 * /etc/netns-run, each of these two judged once (trust.ts) before it is
 * read. A name without an entry has nothing there to read. Undefined: not
 * known (it could not be read, or a run would refuse it), and then each
 * namespace is looked at on its own, as --status does, which says why.
 */
export interface SharedView {
  /** nsfs's device (inspect.ts's nsfsDevice): one stat(2) then judges a namespace file. */
  readonly nsfs?: bigint;
  readonly stateDirs?: ReadonlySet<string>;
  readonly resolverDirs?: ReadonlySet<string>;
  readonly configDirs?: ReadonlySet<string>;
}

function entries(dir: string, judged: boolean): ReadonlySet<string> | undefined {
  try {
    if (judged && checkDirectories([dir]) === 'missing') return new Set();
    return new Set(readdirSync(dir));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? new Set() : undefined;
  }
}

export function readSharedView(): SharedView {
  return { nsfs: nsfsDevice(), stateDirs: entries(STATE_ROOT, false), resolverDirs: entries(RESOLVER_DIR, true), configDirs: entries(CONFIG_DIR, true) };
}

/**
 * detail: what the kernel has for each tunnel too (root, --status); without
 * it a report runs no helper. --list calls this once a namespace, with what
 * it read once for all (SharedView): each fact is read once (the
 * namespace's id, the resolver file), nothing is asked of a directory the
 * namespace has no entry in, and no file is opened that is not there (a
 * missing file costs a thrown error, several times a system call).
 */
export function describeNamespace(paths: NamespacePaths, detail = false, shared: SharedView = {}): NamespaceReport {
  const has = (names: ReadonlySet<string> | undefined): boolean => names === undefined || names.has(paths.name);
  const id = namespaceId(paths.netns, shared.nsfs);
  const configured = has(shared.configDirs);
  // Read first, as inspect() does; a directory this caller may not read, or a *.conf named like no interface, is the tunnels' part of the report (describeTunnels says which), not the end of it.
  let files: readonly string[] | undefined = [];
  try {
    if (configured) files = wireGuardFiles(paths.configDir);
  } catch {
    files = undefined;
  }
  const state = has(shared.stateDirs);
  const { netns, mntns } = namespaceState(paths, id, state);
  const resolvers = has(shared.resolverDirs);
  const resolv = resolvers ? trustedResolvConf(paths, shared.resolverDirs !== undefined) : {};
  // A file read (or refused) is there; one the trusted read found missing is not: no second look.
  const resolvConf = resolv.text !== undefined || (resolv.problem !== undefined && existsSync(paths.resolvConf));
  const network = describeTunnels(paths, detail, id, files);
  // A directory only root may read holds a network.conf this caller cannot read either: shown as hidden, not as a problem.
  const conf = configured && network.hidden === undefined ? readOnce(paths) : () => undefined;
  // The records of links and forwards; most namespaces have none.
  const records = state && existsSync(paths.networkState);
  const report: NamespaceReport = {
    name: paths.name,
    netns,
    madeByNetnsRun: state && madeByNetnsRun(paths, id),
    mountNamespace: mntns,
    resolvConf: resolvConf ? paths.resolvConf : '',
    nameservers: nameservers(resolv.text),
    nsswitchConf: resolvers && existsSync(paths.nsswitchConf) ? paths.nsswitchConf : '',
    ...(resolv.problem !== undefined ? { resolverProblem: resolv.problem } : {}),
    network,
    links: describeLinks(paths, detail, conf, id, records ? readLinksRecord(paths) : undefined),
    forwards: describeForwards(paths, declaredForwards(conf), records ? readForwardRecords(paths) : []),
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
