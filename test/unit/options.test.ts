// One option set everywhere: `netns-run --help`, the OPTIONS section of
// man/netns-run.1 and the three completion scripts must each name exactly
// the options of the command line below, no more and no fewer:
//
//   netns-run [--user USER] [--chdir DIR] [--] NAME [--] [COMMAND [ARGS...]]
//   netns-run -l|--list [--json]
//   netns-run --status NAME [--json]
//   netns-run --ensure NAME
//   netns-run --down NAME [--force]
//   netns-run --unit NAME
//   netns-run -h|--help
//   netns-run -V|--version
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, NODE, ROOT, skipReason } from '../support/netns-run.js';

const EXPECTED = [
  '-h', '--help',
  '-V', '--version',
  '-l', '--list',
  '--status', '--ensure', '--down', '--unit',
  '--json', '--force',
  '-u', '--user',
  '-C', '--chdir',
] as const;

const COMPLETIONS = join(ROOT, 'completions');

/** What `found` lacks and adds against the expected set: '' when it is the same set. */
function differences(found: readonly string[]): string {
  const have = new Set(found);
  const missing = EXPECTED.filter((option) => !have.has(option));
  const extra = [...have].filter((option) => !(EXPECTED as readonly string[]).includes(option)).sort();
  return [
    missing.length ? `lacks ${missing.join(' ')}` : '',
    extra.length ? `adds ${extra.join(' ')}` : '',
  ].filter(Boolean).join('; ');
}

/** Fails with what is missing and what is extra when `found` is not the expected set. */
function assertSameSet(found: readonly string[], where: string): void {
  const problems = differences(found);
  assert.ok(problems === '', `${where} ${problems} (found: ${[...new Set(found)].sort().join(' ') || 'nothing'})`);
}

/** A word that is an option name: -x or --long-name (no value, no punctuation around it). */
const OPTION = /^--?[A-Za-z0-9][A-Za-z0-9-]*$/;

// --- extraction, one function per source -----------------------------------

/** The options of yargs' "Options:" block: "  -l, --list  ...", "      --status  ...". */
function optionsOfHelp(help: string): string[] {
  const block = /(?:^|\n)Options:\n([\s\S]*?)(?=\n\S|$)/.exec(help)?.[1] ?? '';
  const found: string[] = [];
  for (const line of block.split('\n')) {
    // Option names start at column 2 (with a short form) or 6; a wrapped
    // description is indented further and is not read.
    const match = /^ {2}(-[A-Za-z0-9])(?:, (--[A-Za-z0-9][\w-]*))?(?= |$)|^ {6}(--[A-Za-z0-9][\w-]*)(?= |$)/.exec(line);
    if (match) found.push(...[match[1], match[2], match[3]].filter((word): word is string => word !== undefined));
  }
  return found;
}

/** roff text to plain text, enough for option names: \- is a minus, \(hy a hyphen. */
function deroff(text: string): string {
  return text.replace(/\\-/g, '-').replace(/\\\(hy/g, '-').replace(/\\&/g, '').replace(/\\e/g, '\\');
}

/** The bold parts of one roff line: \fB...\fR spans, or the bold arguments of .B, .BR, .BI, .IB, .RB. */
function boldParts(line: string): string[] {
  const macro = /^\.(B|BR|BI|IB|RB|IR|RI|TP|IP)\b\s*(.*)$/.exec(line);
  const parts: string[] = [];
  let body = line;
  if (macro) {
    const [, name, rest = ''] = macro;
    const args = [...rest.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
    if (name === 'B') parts.push(args.join(' '));
    else if (name === 'BR' || name === 'BI') parts.push(...args.filter((_, i) => i % 2 === 0));
    else if (name === 'IB' || name === 'RB') parts.push(...args.filter((_, i) => i % 2 === 1));
    body = args.join(' ');
  }
  for (const span of body.matchAll(/\\fB(.*?)(?:\\f[RPI]|\\f\(|$)/g)) parts.push(span[1] ?? '');
  return parts;
}

/**
 * The options named in the headings of the OPTIONS section: the line after
 * .TP, the argument of .IP, or the line just before .RS (the util-linux
 * style: ".sp", "\fB\-l\fR, \fB\-\-list\fR", ".RS 4", description, ".RE").
 * Options mentioned in running text (such as curl's -v in an example) are
 * not headings and are not read.
 */
function optionsOfManPage(page: string): string[] {
  const section = /^\.SH "?OPTIONS"?[ \t]*\n([\s\S]*?)(?=^\.SH |(?![\s\S]))/m.exec(page)?.[1];
  if (section === undefined) return [];
  const lines = section.split('\n');
  const headings: string[] = [];
  lines.forEach((line, i) => {
    const next = lines[i + 1] ?? '';
    const previous = lines[i - 1] ?? '';
    if (/^\.TP\b/.test(previous) || /^\.IP\b/.test(line) || (/^\.RS\b/.test(next) && !/^\.(sp|PP|P|LP|br|nf|fi)\b/.test(line))) headings.push(line);
  });
  const found: string[] = [];
  for (const heading of headings) {
    for (const part of boldParts(heading)) {
      for (const word of deroff(part).split(/[\s,=[\]|]+/)) if (OPTION.test(word)) found.push(word);
    }
  }
  return found;
}

/** bash: the words of the all_options=(...) array. */
function optionsOfBashScript(script: string): string[] {
  const list = /\ball_options=\(([^)]*)\)/.exec(script)?.[1] ?? '';
  return list.split(/\s+/).filter((word) => OPTION.test(word));
}

/** zsh: the 'option:description' entries of the options=(...) array. */
function optionsOfZshScript(script: string): string[] {
  const list = /^options=\(\n([\s\S]*?)^\)/m.exec(script)?.[1] ?? '';
  return [...list.matchAll(/^\s*'(-[^:']+):/gm)].map((m) => m[1] ?? '').filter((word) => OPTION.test(word));
}

/** fish: every -s X and -l NAME of a `complete -c netns-run` line. */
function optionsOfFishScript(script: string): string[] {
  const found: string[] = [];
  for (const line of script.split('\n')) {
    if (!/^\s*complete\s+(-c|--command)\s+netns-run\b/.test(line)) continue;
    for (const m of line.matchAll(/\s(?:-s|--short-option)\s+(\S)/g)) found.push(`-${m[1]}`);
    for (const m of line.matchAll(/\s(?:-l|--long-option)\s+([\w-]+)/g)) found.push(`--${m[1]}`);
  }
  return found.filter((word) => OPTION.test(word));
}

// --- the extractors read what they should ----------------------------------
// (so that a test below cannot pass because an extractor reads nothing)

test('the help extractor reads yargs\' Options block and nothing else', () => {
  const help = [
    'Usage: netns-run [--user USER] NAME -- COMMAND',
    '',
    'Options:',
    '  -l, --list     list the namespaces                                [boolean]',
    '      --down     tear NAME down (the network namespace only if netns-run made',
    '                 it)                                                 [string]',
    '      --force    with --down: delete',
    '                 --not-an-option either',
    '  -V, --version  show the version and exit                          [boolean]',
    '',
    'Examples:',
    '  netns-run wg -- transmission-daemon -f                 a service',
  ].join('\n');
  assert.equal(optionsOfHelp(help), ['-l', '--list', '--down', '--force', '-V', '--version']);
});

test('the man page extractor reads the OPTIONS headings, not options in running text', () => {
  const page = [
    '.SH "SYNOPSIS"',
    '\\fBnetns\\-run\\fR \\fB\\-\\-synopsis\\-only\\fR',
    '.SH "OPTIONS"',
    '.sp',
    'so \\fBnetns\\-run wg curl \\-v\\fR passes \\fB\\-v\\fR to curl.',
    '.sp',
    '\\fB\\-l\\fR, \\fB\\-\\-list\\fR',
    '.RS 4',
    'List them; see \\fB\\-\\-json\\fR.',
    '.RE',
    '.sp',
    '\\fB\\-\\-status\\fR \\fIname\\fR',
    '.RS 4',
    'Show it.',
    '.sp',
    '.RS 4',
    '.nf',
    'netns\\-run \\-\\-example',
    '.fi',
    '.RE',
    '.RE',
    '.TP',
    '.BR \\-u ", " \\-\\-user =\\fIuser\\fR',
    'Run as user.',
    '.TP',
    '\\fB\\-C\\fR, \\fB\\-\\-chdir\\fR=\\fIdir\\fR',
    'Start there.',
    '.SH "EXIT STATUS"',
    '\\fB\\-\\-after\\fR',
    '.RS 4',
  ].join('\n');
  assert.equal(optionsOfManPage(page), ['-l', '--list', '--status', '-u', '--user', '-C', '--chdir']);
});

test('the completion extractors read each script\'s option list', () => {
  assert.equal(optionsOfBashScript("    local -a all_options=(-h --help --list)\n    local -a modifiers=(--json)"), ['-h', '--help', '--list']);
  assert.equal(optionsOfZshScript("options=(\n  '-h:show help'\n  '--list:list them'\n)\nmodifiers=( '--json:x' )"), ['-h', '--list']);
  assert.equal(
    optionsOfFishScript("complete -c netns-run -f\ncomplete -c netns-run -n 'x' -s h -l help -d 'Help'\ncomplete -c other -l nope\ncomplete -c netns-run -n '__netns_run_is options' -l list"),
    ['-h', '--help', '--list'],
  );
});

test('the comparison fails on one option too few and on one too many', () => {
  assert.is(differences([...EXPECTED]), '');
  assert.is(differences([...EXPECTED].reverse()), '', 'order does not matter');
  assert.is(differences(EXPECTED.filter((option) => option !== '--force')), 'lacks --force');
  assert.is(differences(EXPECTED.filter((option) => option !== '-C')), 'lacks -C');
  assert.is(differences([...EXPECTED, '--verbose']), 'adds --verbose');
  assert.is(differences([]), `lacks ${EXPECTED.join(' ')}`);
});

// --- the real sources -------------------------------------------------------

test('netns-run --help names exactly the options', () => {
  const result = spawnSync(NODE, [BIN, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '80' } });
  assert.is(result.status, 0, `netns-run --help exited ${result.status}: ${result.stderr}`);
  assertSameSet(optionsOfHelp(result.stdout), 'netns-run --help');
});

test('the OPTIONS section of man/netns-run.1 names exactly the options', () => {
  assertSameSet(optionsOfManPage(readFileSync(join(ROOT, 'man', 'netns-run.1'), 'utf8')), 'man/netns-run.1 (OPTIONS)');
});

test('the bash completion script names exactly the options', () => {
  assertSameSet(optionsOfBashScript(readFileSync(join(COMPLETIONS, 'netns-run.bash'), 'utf8')), 'completions/netns-run.bash');
});

test('the zsh completion script names exactly the options', () => {
  assertSameSet(optionsOfZshScript(readFileSync(join(COMPLETIONS, '_netns-run'), 'utf8')), 'completions/_netns-run');
});

test('the fish completion script names exactly the options', () => {
  assertSameSet(optionsOfFishScript(readFileSync(join(COMPLETIONS, 'netns-run.fish'), 'utf8')), 'completions/netns-run.fish');
});

// What TAB offers after a lone '-', asked of the shells themselves where they
// can answer without a terminal (zsh's completion system needs one: the
// tmux tests in test/shell cover it).

test('bash offers exactly the options for -<TAB>', () => {
  const script = join(COMPLETIONS, 'netns-run.bash');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c',
    'source "$1" && COMP_WORDS=(netns-run -) COMP_CWORD=1 COMP_LINE="netns-run -" COMP_POINT=11 && _netns_run && printf "%s\\n" "${COMPREPLY[@]}"',
    'bash', script], { encoding: 'utf8' });
  assert.is(result.status, 0, `bash failed: ${result.stderr}`);
  assertSameSet(result.stdout.split('\n').filter(Boolean), 'bash completion of "netns-run -"');
});

const fish = spawnSync('sh', ['-c', 'command -v fish'], { stdio: 'ignore' }).status === 0;
if (!fish) skipReason('fish is not installed (Debian package fish): what fish offers for "netns-run -" is not asked of fish');
(fish ? test : test.skip)('fish offers exactly the options for -<TAB>', () => {
  const script = join(COMPLETIONS, 'netns-run.fish');
  const result = spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; and complete -C "netns-run -"', script], { encoding: 'utf8' });
  assert.is(result.status, 0, `fish failed: ${result.stderr}`);
  const offered = result.stdout.split('\n').filter(Boolean).map((line) => line.split('\t')[0] ?? '');
  assertSameSet(offered, 'fish completion of "netns-run -"');
});

test.run();
