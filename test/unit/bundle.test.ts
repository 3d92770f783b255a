// The bundle bin/netns-run loads (dist/netns-run.cjs, with yargs in
// dist/netns-run-yargs.mjs, see scripts/bundle.mjs) behaves as the modules
// tsc compiled, which the other unit tests exercise: same output, same
// messages, same exit status. And it is what it is for: the common call's
// file holds no yargs, and nothing but Node's own modules is required up front.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const BUNDLE = new URL('../../netns-run.cjs', import.meta.url).pathname;
const MAIN = new URL('../../netns-run-main.cjs', import.meta.url).pathname;
const YARGS_CHUNK = new URL('../../netns-run-yargs.mjs', import.meta.url).pathname;
const MODULES = new URL('../../src/entry.js', import.meta.url).pathname;

function run(file: string, args: readonly string[]) {
  // No handoff pipe and no command that would run: only answers and refusals.
  const result = spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('the bundle answers and refuses exactly as the compiled modules do', () => {
  const lines = [
    ['--help'], ['-h'], ['--version'], ['-V'], ['--lsit'], ['--stauts', 'wg'], ['--status'], ['--list', 'wg'], ['--list', '--down', 'wg'],
    [], ['--'], ['--', '-x'], ['wg', '-x'], ['wg', '--help'], ['../x', '--', 'true'], ['wg', '--', ''], ['--unit', 'wg'], ['--unit', '../x'],
    ['--user'], ['--bogus', 'wg', 'x'], ['--json', 'wg'], ['--force', 'wg'], ['--user', 'root', '--list'],
  ];
  for (const args of lines) {
    const bundled = run(BUNDLE, args);
    assert.equal(bundled, run(MODULES, args), JSON.stringify(args));
    assert.not.match(bundled.stderr, /unexpected failure|^\s+at /m, `${JSON.stringify(args)}: ${bundled.stderr}`);
  }
  assert.is(run(BUNDLE, ['--version']).stdout.trim(), JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version);
});

test('yargs is in its own file, loaded on demand; the common call needs only Node\'s modules', () => {
  const main = readFileSync(MAIN, 'utf8');
  assert.not.match(main, /cliui|yargs-parser|y18n|string-width/);
  assert.match(readFileSync(YARGS_CHUNK, 'utf8'), /yargs/);
  const required = [...main.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]!);
  assert.ok(required.every((name) => name.startsWith('node:')), `requires ${required.join(', ')}`);
  // Every import() goes through the loader's (a vm script has none of its own), except the fallback for a plain require.
  const imported = new Set([...main.matchAll(/\b__netns_run_import\("([^"]+)"\)/g)].map((m) => m[1]!));
  // node:child_process is taken with process.getBuiltinModule where a helper is first needed (helpers.ts).
  assert.equal([...imported].sort(), ['./netns-run-yargs.mjs', 'execa'].sort());
  assert.is(main.match(/\bimport\(/g)?.length, 1);
});

test.run();
