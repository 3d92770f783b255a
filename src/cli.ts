import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';
import { CALLER_ENV_OPTION } from './handover.js';
import { checkName, NAME_PATTERN } from './name.js';

// The management actions are options, not words: a namespace may be called
// "list" or "down", but no name can start with '-', so `netns-run --down wg`
// and `netns-run down -- cmd` can never be mistaken for each other.

/** Run COMMAND (or, with none, the caller's shell) in NAME. */
export interface RunRequest {
  readonly kind: 'run';
  readonly name: string;
  /** Empty: start the caller's shell. */
  readonly command: readonly string[];
  /** --user: root runs the command as this user (name or uid) instead of as root. */
  readonly user?: string;
  /** --chdir: start in this directory instead of the current one (reached as the caller all the same). */
  readonly chdir?: string;
  /** --caller-env: the hand-over file of netns-run's own self-elevation (handover.ts). */
  readonly callerEnv?: string;
}

export interface ListRequest {
  readonly kind: 'list';
  readonly json: boolean;
}

export interface StatusRequest {
  readonly kind: 'status';
  readonly name: string;
  readonly json: boolean;
}

export interface EnsureRequest {
  readonly kind: 'ensure';
  readonly name: string;
  readonly callerEnv?: string;
}

export interface DownRequest {
  readonly kind: 'down';
  readonly name: string;
  readonly force: boolean;
  readonly callerEnv?: string;
}

export interface UnitRequest {
  readonly kind: 'unit';
  readonly name: string;
}

/** --help and --version were answered by yargs; nothing is left to do. */
export interface AnsweredRequest {
  readonly kind: 'answered';
}

export type Request = RunRequest | ListRequest | StatusRequest | EnsureRequest | DownRequest | UnitRequest | AnsweredRequest;

const USAGE = `Usage:
  $0 [--user USER] [--chdir DIR] [--] NAME [--] [COMMAND [ARGS...]]
  $0 --list [--json]
  $0 --status NAME [--json]
  $0 --ensure NAME
  $0 --down NAME [--force]
  $0 --unit NAME

Run COMMAND inside the network namespace NAME (/run/netns/NAME) as yourself:
your uid, gids and current directory, with NAME's own resolv.conf and
nsswitch.conf, so that name lookups stay inside the namespace too. The
namespace is made on first use. Without COMMAND, your shell starts there.
Options go before NAME; everything after NAME belongs to COMMAND.`;

/** Every option, for the typo suggestions and for the tests that keep help, man page and completions alike. */
export const OPTIONS = ['help', 'version', 'list', 'json', 'status', 'ensure', 'down', 'force', 'unit', 'user', 'chdir'] as const;
const ACTIONS = ['list', 'status', 'ensure', 'down', 'unit'] as const;

/** The bundle (see scripts/bundle.mjs) carries the version; compiled by tsc alone, it is read from package.json. */
declare const NETNS_RUN_VERSION: string | undefined;

export function version(): string {
  if (typeof NETNS_RUN_VERSION === 'string') return NETNS_RUN_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Edit distance counting a swap of neighbours as one edit ("lsit" is one from "list"): small strings only. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

export function suggestOption(unknown: string): string | undefined {
  const word = unknown.replace(/^-+/, '');
  let best: { option: string; cost: number } | undefined;
  for (const option of OPTIONS) {
    const cost = distance(word, option);
    if (cost <= (option.length >= 4 ? 2 : 1) && (!best || cost < best.cost)) best = { option, cost };
  }
  return best && `--${best.option}`;
}

function unknownOption(message: string): UsageError {
  const unknown = /^Unknown arguments?: (.*)$/.exec(message)?.[1]?.split(', ')[0];
  if (unknown === undefined) return new UsageError(message);
  const shown = unknown.length === 1 ? `-${unknown}` : `--${unknown}`;
  const suggestion = suggestOption(unknown);
  return new UsageError(`unknown option ${shown}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`);
}

/** What each option that takes a value takes, for "needs ..." messages. */
const VALUE_OF: Record<string, string> = {
  status: 'a namespace NAME',
  ensure: 'a namespace NAME',
  down: 'a namespace NAME',
  unit: 'a namespace NAME',
  user: 'a USER (name or uid)',
  u: 'a USER (name or uid)',
  chdir: 'a directory DIR',
  C: 'a directory DIR',
};

/** yargs' own wording, turned into ours. */
function usageFailure(message: string): UsageError {
  if (/^Unknown argument/.test(message)) return unknownOption(message);
  const missing = /^Not enough arguments following: (\w+)/.exec(message)?.[1];
  if (missing) return new UsageError(`${missing.length === 1 ? '-' : '--'}${missing} needs ${VALUE_OF[missing] ?? 'a value'} right after it`);
  const exclusive = /^Arguments (\w+) and (\w+) are mutually exclusive/.exec(message);
  if (exclusive) return new UsageError(`--${exclusive[1]} and --${exclusive[2]} cannot be used together`);
  return new UsageError(message);
}

/**
 * The common call, `NAME [--] [COMMAND...]` (or `-- NAME ...`), recognised
 * without yargs, whose loading costs far more than netns-run's own work on
 * the warm path. It returns exactly what the yargs route returns for the same
 * words, or undefined whenever it is not certain (any option, a bad NAME, an
 * empty command, ...): those go the yargs route, so help, errors and
 * suggestions come from one place and read the same as ever.
 */
export function quickParse(args: readonly string[]): RunRequest | undefined {
  // The run a self-elevated netns-run asks for through sudo: its warm path too.
  const handed = args[0]?.startsWith(`${CALLER_ENV_OPTION}=/`) ? args[0].slice(CALLER_ENV_OPTION.length + 1) : undefined;
  const words = handed === undefined ? args : args.slice(1);
  const rest = words[0] === '--' ? words.slice(1) : words;
  const [name, ...after] = rest;
  // An option before NAME (or a name that would be one) is yargs' to judge.
  if (name === undefined || !NAME_PATTERN.test(name)) return undefined;
  if (after[0] !== '--' && after[0]?.startsWith('-')) return undefined;
  const command = after[0] === '--' ? after.slice(1) : after;
  if (command[0] === '') return undefined;
  return handed === undefined ? { kind: 'run', name, command } : { kind: 'run', name, command, callerEnv: handed };
}

/** The one-letter options, and which of them take a value (the rest of the word, or the next word). */
const SHORT_FLAGS = new Set(['l', 'h', 'V']);
const SHORT_WITH_VALUE = new Set(['u', 'C']);
const LONG_WITH_VALUE = new Set(['--status', '--ensure', '--down', '--unit', '--user', '--chdir', `${CALLER_ENV_OPTION}`]);
/** Words that modify an action rather than being its NAME: `--down --force NAME` means `--force --down NAME`. */
const MODIFIERS = new Set(['--json', '--force']);
const ACTION_OPTIONS = new Set(['--status', '--ensure', '--down', '--unit']);

/**
 * What yargs gets wrong before it parses, fixed in the words: a bundle of
 * one-letter options (`-nh`) is checked letter by letter, since yargs would
 * answer the h or V in it before it complained of the rest; and a modifier
 * typed between an action and its NAME is moved in front of the action,
 * where yargs would have taken it for the NAME. Only the options before
 * NAME are looked at: the rest is the command's.
 */
export function normaliseOptions(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const word = args[i]!;
    if (word === '--' || !word.startsWith('-') || word === '-') return [...out, ...args.slice(i)];
    if (/^-[^-]/.test(word)) {
      for (let j = 1; j < word.length; j += 1) {
        const letter = word[j]!;
        if (SHORT_WITH_VALUE.has(letter)) {
          // -ualice is -u alice, as getopt reads it (yargs would read -u -a -l -i -c -e).
          if (j < word.length - 1) out.push(word.slice(0, j + 1), word.slice(j + 1));
          else if (i + 1 < args.length) out.push(word, args[(i += 1)]!);
          else out.push(word);
          break;
        }
        if (!SHORT_FLAGS.has(letter)) throw new UsageError(`unknown option -${letter}${word.length > 2 ? ` (in ${word})` : ''}`);
        if (j === word.length - 1) out.push(word);
      }
      continue;
    }
    if (ACTION_OPTIONS.has(word)) {
      let next = i + 1;
      while (next < args.length && MODIFIERS.has(args[next]!)) out.push(args[next++]!);
      out.push(word);
      if (next < args.length) out.push(args[next]!);
      i = next;
      continue;
    }
    out.push(word);
    if (LONG_WITH_VALUE.has(word) && i + 1 < args.length) out.push(args[(i += 1)]!);
  }
  return out;
}

/**
 * Options come before NAME; everything after NAME belongs to the command, so
 * `netns-run wg curl -v` never reads -v as ours. The common call needs no
 * option parser (quickParse); anything else loads yargs, which parses the
 * options and stops at NAME ('halt-at-non-option'); the raw rest arrives in
 * argv['--'].
 */
export async function parseCommandLine(args: readonly string[]): Promise<Request> {
  return quickParse(args) ?? quickAction(args) ?? parseWithYargs(args);
}

/**
 * The management actions as people type them, recognised without yargs too:
 * `--list [--json]`, `--status NAME [--json]`, `--ensure NAME`, `--down NAME
 * [--force]`, `--unit NAME`, each modifier once, before or after. Loading
 * yargs costs more than any of these actions takes (about 100 ms on Node
 * 20). Anything else (a typo, `--status=NAME`, a bundle, a bad NAME) goes to
 * yargs, so help, errors and suggestions come from one place; the unit
 * tests hold the two routes to the same answers.
 */
export function quickAction(args: readonly string[]): Request | undefined {
  let json = false;
  let force = false;
  let action: string | undefined;
  let name: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const word = args[i]!;
    if (word === '--json' && !json) json = true;
    else if (word === '--force' && !force) force = true;
    else if (action === undefined && (word === '--list' || word === '-l')) action = 'list';
    else if (action === undefined && ACTION_OPTIONS.has(word)) {
      name = args[i + 1];
      if (name === undefined || !NAME_PATTERN.test(name)) return undefined;
      action = word.slice(2);
      i += 1;
    } else return undefined;
  }
  if (action === undefined || (json && action !== 'list' && action !== 'status') || (force && action !== 'down')) return undefined;
  switch (action) {
    case 'list':
      return { kind: 'list', json };
    case 'status':
      return { kind: 'status', name: name!, json };
    case 'ensure':
      return { kind: 'ensure', name: name! };
    case 'down':
      return { kind: 'down', name: name!, force };
    default:
      return { kind: 'unit', name: name! };
  }
}

/** The yargs route: every command line may take it; only the common ones skip it. */
export async function parseWithYargs(args: readonly string[]): Promise<Request> {
  const { parseOptions } = await import('./cli-parser.js');
  const { argv, failure } = await parseOptions(normaliseOptions(args), { usage: USAGE, version, columns: () => process.stdout.columns });
  if (failure !== undefined) throw usageFailure(failure);
  if (argv.help || argv.version) return { kind: 'answered' };
  const rest = ((argv['--'] as unknown[] | undefined) ?? []).map(String);
  const action = ACTIONS.find((key) => argv[key] !== undefined && argv[key] !== false);
  if (argv.json && action !== 'list' && action !== 'status') throw new UsageError('--json goes with --list or --status');
  if (argv.force && action !== 'down') throw new UsageError('--force goes with --down');
  const handed = argv['caller-env'] !== undefined ? { callerEnv: String(argv['caller-env']) } : {};
  if (action === undefined) {
    const run = toRunRequest(rest);
    return {
      ...run,
      ...(argv.user !== undefined ? { user: String(argv.user) } : {}),
      ...(argv.chdir !== undefined ? { chdir: String(argv.chdir) } : {}),
      ...handed,
    };
  }
  if (argv['caller-env'] !== undefined && action !== 'ensure' && action !== 'down') {
    throw new UsageError(`${CALLER_ENV_OPTION} goes with a run, --ensure or --down`);
  }
  for (const option of ['user', 'chdir'] as const) {
    if (argv[option] !== undefined) throw new UsageError(`--${option} goes with running a command, not with --${action}`);
  }
  if (rest.length > 0) throw new UsageError(`--${action} takes no command (unexpected ${JSON.stringify(rest[0])})`);
  switch (action) {
    case 'list':
      return { kind: 'list', json: Boolean(argv.json) };
    case 'status':
      return { kind: 'status', name: checkName(String(argv.status)), json: Boolean(argv.json) };
    case 'ensure':
      return { kind: 'ensure', name: checkName(String(argv.ensure)), ...handed };
    case 'down':
      return { kind: 'down', name: checkName(String(argv.down)), force: Boolean(argv.force), ...handed };
    case 'unit':
      return { kind: 'unit', name: checkName(String(argv.unit)) };
  }
}

function toRunRequest(rest: readonly string[]): RunRequest {
  const [name, ...after] = rest;
  if (name === undefined) throw new UsageError('missing namespace NAME');
  checkName(name);
  const command = after[0] === '--' ? after.slice(1) : after;
  if (after[0] !== '--' && after[0]?.startsWith('-')) {
    throw new UsageError(`unexpected option ${JSON.stringify(after[0])} after NAME: options go before NAME, the command after '--'`);
  }
  if (command[0] === '') throw new UsageError('COMMAND is an empty string');
  return { kind: 'run', name, command };
}
