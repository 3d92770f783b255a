import { readdirSync } from 'node:fs';
import type { Asker } from '../authorise.js';
import type { ListRequest } from '../cli.js';
import { NAME_PATTERN, NETNS_DIR, pathsFor } from '../name.js';
import { tunnelsCell } from '../network/report.js';
import { describeNamespace, readSharedView, type NamespaceReport } from './report.js';

export interface ListedNamespace extends NamespaceReport {
  /** Whether this caller may run commands in it: root may; anyone else as /etc/netns-run.conf says. */
  readonly mayUse: boolean;
  /** What would make a run in it fail (resolver files refused, the policy unreadable), one sentence each. */
  readonly problems: readonly string[];
}

/** Names in /run/netns that netns-run could use; others (made by other tools with odd names) are left out. */
export function namespaceNames(): string[] {
  try {
    return readdirSync(NETNS_DIR).filter((name) => NAME_PATTERN.test(name)).sort();
  } catch {
    return [];
  }
}

export function listNamespaces(asker: Pick<Asker, 'may' | 'policyProblem'>): ListedNamespace[] {
  const shared = readSharedView();
  return namespaceNames().map((name) => {
    const base = describeNamespace(pathsFor(name), false, shared);
    const problems = [asker.policyProblem, base.resolverProblem, base.network.problem].filter((problem): problem is string => problem !== undefined);
    return { ...base, mayUse: asker.may(name, 'use'), problems };
  });
}

/**
 * A table in the manner of lsns(8): one header line, one line a namespace,
 * columns padded, in the same words as the JSON. What the JSON says in
 * `problems` follows the table, one line each, so the text hides nothing.
 */
export function formatList(rows: readonly ListedNamespace[]): string {
  const table = [
    ['NAME', 'MADE-BY', 'MOUNT-NS', 'RESOLVERS', 'TUNNELS', 'MAY-USE'],
    ...rows.map((row) => [
      row.name,
      row.madeByNetnsRun ? 'netns-run' : 'other',
      row.mountNamespace,
      row.resolverProblem !== undefined ? 'refused' : row.nameservers.length > 0 ? row.nameservers.join(',') : '-',
      tunnelsCell(row.network),
      row.mayUse ? 'yes' : 'no',
    ]),
  ];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  const lines = table.map((line) => line.map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '));
  const problems = rows.flatMap((row) => row.problems.map((problem) => `problem: ${row.name}: ${problem}`));
  return [...lines, ...problems].join('\n') + '\n';
}

export async function list(request: ListRequest, asker: Asker): Promise<string> {
  const rows = listNamespaces(asker);
  return request.json ? `${JSON.stringify(rows, null, 2)}\n` : formatList(rows);
}
