// The shell text Node hands to bin/netns-run's launcher: it must reach sh
// byte for byte, leave exactly the planned environment, and exec exactly
// the planned words. Checked by running it in a real sh with the exec
// replaced by a printer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { shellCommand, shellQuote, takeHandoff, HANDOFF_MARKER, HANDOFF_VARIABLE } from '../../src/exec/handoff.js';
import { NetnsRunError } from '../../src/errors.js';

/** Runs TEXT in `sh -c` with ENV, the final exec pointed at a program that prints its argv and environment NUL-separated. */
function evaluate(text: string, env: Record<string, string>): { argv: string[]; env: Record<string, string> } {
  // exec 'x' 'y' -> exec printer 'x' 'y': the printer is a tiny sh script printing "$@" then env -0.
  const printer = `printf '%s\\0' "$@"; printf '\\1\\0'; env -0`;
  const script = text.replace(/^exec /m, `exec /bin/sh -c '${printer.replaceAll("'", `'\\''`)}' printer `);
  const result = spawnSync('/bin/sh', ['-c', script], { env, encoding: 'utf8' });
  assert.is(result.status, 0, result.stderr);
  const fields = result.stdout.split('\0');
  const mark = fields.indexOf('\x01');
  const out: Record<string, string> = {};
  for (const entry of fields.slice(mark + 1)) {
    if (entry === '') continue;
    const at = entry.indexOf('=');
    out[entry.slice(0, at)] = entry.slice(at + 1);
  }
  // sh itself adds PWD where the environment lacks it; nothing else.
  if (env.PWD === undefined) delete out.PWD;
  return { argv: fields.slice(0, mark), env: out };
}

const EVERY_BYTE = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join('');

test('every byte but NUL survives the quoting, also quotes, newlines and $(...)', () => {
  const words = ['/usr/bin/nsenter', EVERY_BYTE, "it's", "''", '', '$(touch /tmp/x)', '`id`', 'a\nb', '\\', '-', '--', '*', '~', '!', '#x', ' lead', 'trail '];
  const { argv } = evaluate(shellCommand({ argv: words, env: { PATH: '/usr/bin:/bin' } }, { PATH: '/usr/bin:/bin' }), { PATH: '/usr/bin:/bin' });
  assert.equal(argv, words);
});

test('the environment becomes exactly the plan: removed, changed and added variables', () => {
  const inherited = { PATH: '/usr/bin:/bin', LD_PRELOAD: '/tmp/evil.so', SUDO_USER: 'alice', HOME: '/root', KEEP: 'same', ODD: "x'y\nz" };
  const plan = { PATH: '/usr/bin:/bin', HOME: '/home/alice', KEEP: 'same', ODD: "x'y\nz", NETNS_RUN_NAME: 'wg', WEIRD: EVERY_BYTE.replaceAll('=', '') };
  const text = shellCommand({ argv: ['/bin/true'], env: plan }, inherited);
  assert.ok(text.includes('unset LD_PRELOAD SUDO_USER'), text);
  assert.not.ok(/export[^\n]*KEEP=/.test(text), 'an unchanged variable is exported again');
  const { env } = evaluate(text, inherited);
  assert.equal(env, plan);
});

test('a variable whose name no shell can set is refused only when it would have to change', () => {
  assert.throws(() => shellCommand({ argv: ['/bin/true'], env: {} }, { 'a.b': '1' }), (e: unknown) => e instanceof NetnsRunError && /a\.b/.test(e.message));
  assert.throws(() => shellCommand({ argv: ['/bin/true'], env: { 'a-b': '2' } }, { 'a-b': '1' }), (e: unknown) => e instanceof NetnsRunError);
  // Passed through unchanged (bash as /bin/sh passes such names on): nothing to do.
  assert.not.throws(() => shellCommand({ argv: ['/bin/true'], env: { 'a.b': '1' } }, { 'a.b': '1' }));
});

test('the caller\'s own trailing words are passed as "$@", so their bytes never go through Node', () => {
  const text = shellCommand({ argv: ['/usr/bin/env', '--', 'ls', '-l', 'x y'], env: {}, verbatim: 3 }, {}, ['wg', '--', 'ls', '-l', 'x y']);
  assert.ok(text.includes(`shift 2\n`), text);
  assert.ok(text.endsWith(`'/usr/bin/env' '--' "$@"\n`), text);
  // Words that are not the caller's tail (a rebuilt command line) are quoted.
  const rebuilt = shellCommand({ argv: ['/usr/bin/env', 'zsh'], env: {}, verbatim: 1 }, {}, ['wg']);
  assert.not.ok(rebuilt.includes('"$@"'), rebuilt);
});

test('variables given back by env(1) are read from the shell, not re-quoted from Node', () => {
  const inherited = { LANG: 'C.UTF-8', PATH: '/bin' };
  const text = shellCommand({ argv: ['/usr/bin/env', '--', 'LANG=C.UTF-8', 'true'], env: { PATH: '/bin' }, carried: ['LANG'] }, inherited);
  assert.ok(text.startsWith('netns_run_LANG="$LANG"\nunset LANG\n'), text);
  assert.ok(text.includes(`'--' "LANG=$netns_run_LANG" 'true'`), text);
  // A copy's name the caller already uses is not overwritten.
  const clash = shellCommand({ argv: ['LANG=C'], env: { netns_run_LANG: 'mine' }, carried: ['LANG'] }, { LANG: 'C', netns_run_LANG: 'mine' });
  assert.ok(clash.includes('_netns_run_LANG="$LANG"'), clash);
});

test('bin/netns-run evaluates only what follows the marker Node writes', () => {
  const launcher = readFileSync(new URL('../../../bin/netns-run', import.meta.url), 'utf8').split('\n')[1]!;
  assert.ok(launcher.includes(`*'${HANDOFF_MARKER}'*) eval "\${plan#*'${HANDOFF_MARKER}'}"`), launcher);
});

test('shellQuote: single quotes around, a quote closed, escaped and reopened', () => {
  assert.is(shellQuote(''), "''");
  assert.is(shellQuote("a'b"), "'a'\\''b'");
});

test('the handoff variable is taken out of the environment whatever it says', () => {
  for (const value of ['3', '1', 'x', '']) {
    const env: NodeJS.ProcessEnv = { [HANDOFF_VARIABLE]: value, A: '1' };
    takeHandoff(env, false);
    assert.equal(env, { A: '1' });
  }
});

test('the handoff is refused under setuid, for descriptors 0-2 and for anything that is not a pipe', () => {
  const pipe = spawnSync('/bin/sh', ['-c', `${process.execPath} --input-type=module -e "import { takeHandoff } from '${new URL('../../src/exec/handoff.js', import.meta.url).href}'; const r = (v, s) => String(takeHandoff({ ${HANDOFF_VARIABLE}: v }, s)); console.log([r('3', false), r('3', true), r('1', false), r('5', false)].join(' '))" 3>&1 5</dev/null | cat`], { encoding: 'utf8' });
  assert.is(pipe.status, 0, pipe.stderr);
  // fd 3 is the pipe into cat, as in the launcher's command substitution; fd 5 is /dev/null.
  assert.is(pipe.stdout.trim(), '3 undefined undefined undefined');
});

test.run();
