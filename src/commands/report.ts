import { existsSync, readFileSync } from 'node:fs';
import { inspect, namespaceId } from '../ensure/inspect.js';
import type { NamespacePaths } from '../name.js';

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
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function nameservers(resolvConf: string | undefined): string[] {
  return (resolvConf ?? '')
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((server): server is string => server !== undefined);
}

export function report(paths: NamespacePaths): NamespaceReport {
  const facts = inspect(paths);
  const id = namespaceId(paths.netns);
  return {
    name: paths.name,
    netns: facts.netns,
    madeByNetnsRun: id !== undefined && read(paths.createdMarker)?.trim() === id,
    mountNamespace: facts.mntns,
    resolvConf: existsSync(paths.resolvConf) ? paths.resolvConf : '',
    nameservers: nameservers(read(paths.resolvConf)),
    nsswitchConf: existsSync(paths.nsswitchConf) ? paths.nsswitchConf : '',
  };
}
