import { readdirSync } from 'node:fs';
import { NAME_PATTERN, NETNS_DIR, pathsFor } from '../name.js';
import { report, type NamespaceReport } from './report.js';

export interface ListedNamespace extends NamespaceReport {
  /** Whether this caller may run commands in it: root may; anyone else as /etc/netns-run.conf says. */
  readonly mayUse: boolean;
}

/** Names in /run/netns that netns-run could use; others (made by other tools with odd names) are left out. */
export function namespaceNames(): string[] {
  try {
    return readdirSync(NETNS_DIR).filter((name) => NAME_PATTERN.test(name)).sort();
  } catch {
    return [];
  }
}

export function listNamespaces(mayUse: (name: string) => boolean): ListedNamespace[] {
  return namespaceNames().map((name) => ({ ...report(pathsFor(name)), mayUse: mayUse(name) }));
}

const MOUNT_NS_WORD = { current: 'kept', missing: 'none', stale: 'stale' } as const;

/** A table in the manner of lsns(8): one header line, one line a namespace, columns padded. */
export function formatList(rows: readonly ListedNamespace[]): string {
  const table = [
    ['NAME', 'MADE-BY', 'MOUNT-NS', 'RESOLVERS', 'MAY-USE'],
    ...rows.map((row) => [
      row.name,
      row.madeByNetnsRun ? 'netns-run' : 'other',
      MOUNT_NS_WORD[row.mountNamespace],
      row.nameservers.length > 0 ? row.nameservers.join(',') : '-',
      row.mayUse ? 'yes' : 'no',
    ]),
  ];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  return table.map((line) => line.map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n') + '\n';
}
