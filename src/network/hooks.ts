// [Hook] of network.conf: programs root runs when the namespace goes up and
// down, in the host (netns-run's own namespaces) or inside (the network
// namespace and the kept mount namespace, as a run sees them). No shell, a
// clean environment (HELPER_ENV) with NETNS_RUN_NAME, NETNS_RUN_HOOK and
// NETNS_RUN_INTERFACES, a time limit each.
//
// Order: up, after everything else: host hooks, then inside hooks, each in
// file order; down, before anything is removed: inside hooks, then host
// hooks. The down hooks are recorded when the up hooks start, so that
// --down runs what was there when the namespace went up, whatever the file
// says by then. A failing up hook rolls the whole set-up back (the down
// hooks run in that rollback too); a failing down hook is a note.

import { NetnsRunError } from '../errors.js';
import { describeFailure, failed, HELPER_ENV, tryHelper } from '../helpers.js';
import type { NamespacePaths } from '../name.js';
import { findTools } from '../tools.js';
import { programProblem } from '../trust.js';
import type { HookSpec } from './conf/inside.js';
import type { NetworkConf } from './conf/draft.js';
import type { NetworkSetup, NetworkTeardown } from './context.js';
import { readStateRecord, removeStateRecord, writeStateRecord } from './state-record.js';

const RECORD = 'hooks.json';

interface HooksRecord {
  readonly file: string;
  readonly down: readonly HookSpec[];
}

/** Every hook program of CONF, judged before anything is made. */
export function checkHookPrograms(conf: NetworkConf): void {
  for (const hook of conf.hooks) {
    const problem = programProblem(hook.argv[0]!);
    if (problem !== undefined) throw new NetnsRunError(`${conf.file}:${hook.line}: the hook ${hook.argv[0]} ${problem}`);
  }
}

/** The interfaces inside NAME now, lo aside, space-separated. */
function interfaceNames(ip: string, name: string): string {
  const shown = tryHelper(ip, ['-n', name, '-j', 'link', 'show']);
  if (failed(shown)) return '';
  return (JSON.parse(shown.stdout || '[]') as { ifname: string }[]).map((link) => link.ifname).filter((ifname) => ifname !== 'lo').join(' ');
}

const HOOK_TOOLS = ['ip', 'nsenter', 'env'] as const;
type HookTools = { readonly [K in (typeof HOOK_TOOLS)[number]]: string };

/** Up: host hooks then inside hooks; down: inside then host. Each group in file order. */
export function hookOrder(hooks: readonly HookSpec[], when: 'up' | 'down'): HookSpec[] {
  const of = (where: 'host' | 'inside') => hooks.filter((hook) => hook.when === when && hook.where === where);
  return when === 'up' ? [...of('host'), ...of('inside')] : [...of('inside'), ...of('host')];
}

/** Runs one hook to its end; undefined if it succeeded, else why not, in words. */
function runHook(hook: HookSpec, paths: NamespacePaths, tools: HookTools): string | undefined {
  const env = { ...HELPER_ENV, NETNS_RUN_NAME: paths.name, NETNS_RUN_HOOK: hook.when, NETNS_RUN_INTERFACES: interfaceNames(tools.ip, paths.name) };
  // In / either way: not in whatever directory netns-run was started from.
  const [file, args] = hook.where === 'host' ? [tools.env, ['--chdir=/', '--', ...hook.argv]] : [tools.nsenter, [`--net=${paths.netns}`, `--mount=${paths.mntns}`, '--wd=/', '--', ...hook.argv]];
  const timeoutMs = hook.timeoutSeconds * 1000;
  const outcome = tryHelper(file, args, { env, timeoutMs, stdout: 'ignore', ownSession: true });
  if (!failed(outcome)) return undefined;
  // nsenter's own failure (no mount namespace) says so on its stderr; the hook's words are not quoted.
  return describeFailure(hook.argv[0]!, outcome, timeoutMs);
}

function describeHook(hook: HookSpec, file: string): string {
  return `the ${hook.when} hook ${hook.argv[0]} (${hook.where}, ${file}:${hook.line})`;
}

export function runUpHooks({ paths, conf, undo }: NetworkSetup): void {
  const down = hookOrder(conf.hooks, 'down');
  const up = hookOrder(conf.hooks, 'up');
  if (down.length === 0 && up.length === 0) return;
  const tools = findTools(HOOK_TOOLS);
  const record: HooksRecord = { file: conf.file, down };
  writeStateRecord(paths, RECORD, record, undo);
  undo.push(`removing the record of the down hooks`, () => removeStateRecord(paths, RECORD));
  // Should an up hook fail, what the ones before it did is undone as --down would.
  undo.push('running the down hooks', () => {
    for (const hook of down) if (programProblem(hook.argv[0]!) === undefined) runHook(hook, paths, tools);
  });
  for (const hook of up) {
    const why = runHook(hook, paths, tools);
    if (why !== undefined) throw new NetnsRunError(`${describeHook(hook, conf.file)} failed: ${why.replace(`${hook.argv[0]} `, '')}; what this call made of ${paths.name} is taken back`);
  }
}

function readHooksRecord(paths: NamespacePaths): HooksRecord | undefined {
  const record = readStateRecord(paths, RECORD) as HooksRecord | undefined;
  if (record === undefined || typeof record.file !== 'string' || !Array.isArray(record.down)) return undefined;
  // Only the shapes netns-run writes: they become a program root runs.
  const down = record.down.filter((hook) => Array.isArray(hook.argv) && (hook.argv as unknown[]).every((word) => typeof word === 'string') && typeof hook.argv[0] === 'string' && hook.argv[0].startsWith('/')
    && (hook.where === 'host' || hook.where === 'inside') && hook.when === 'down' && Number.isInteger(hook.timeoutSeconds) && hook.timeoutSeconds >= 1 && hook.timeoutSeconds <= 3600);
  return { file: record.file, down };
}

/** What --status shows: the down hooks recorded for NAME, as "inside PROGRAM". */
export function recordedDownHooks(paths: NamespacePaths): string[] {
  return (readHooksRecord(paths)?.down ?? []).map((hook) => `${hook.where} ${hook.argv[0]}`);
}

export function runDownHooks({ paths, notes }: NetworkTeardown): void {
  const record = readHooksRecord(paths);
  if (record === undefined) return;
  const tools = findTools(HOOK_TOOLS);
  for (const hook of record.down) {
    // Judged again: the program may have changed since the namespace went up.
    const problem = programProblem(hook.argv[0]!);
    const why = problem !== undefined ? `not run: it ${problem}` : runHook(hook, paths, tools);
    if (why !== undefined) notes.push(`${describeHook(hook, record.file)} failed: ${why.replace(`${hook.argv[0]} `, '')}; going on`);
  }
  removeStateRecord(paths, RECORD);
}
