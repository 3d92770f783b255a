// The bundle bin/netns-run loads (dist/netns-run.cjs, with yargs in
// dist/netns-run-yargs.mjs, see scripts/bundle.mjs) behaves as the modules
// tsc compiled, which the other unit tests exercise: same output, same
// messages, same exit status. And it is what it is for: the common call's
// file holds no yargs, and nothing but Node's own modules is required up front.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const BUNDLE = new URL('../../netns-run.cjs', import.meta.url).pathname;
const MAIN = new URL('../../netns-run-main.cjs', import.meta.url).pathname;
const SETUP = new URL('../../netns-run-setup.cjs', import.meta.url).pathname;
const MODULES_LIST = new URL('../../bundle-modules.json', import.meta.url).pathname;
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
    // Answered by the set-up chunk (not --list: other runs on this machine change what it lists between the two).
    ['--unit', 'nrp-unit'], ['--status', 'nrp-none-here', '--json'],
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
  // node:crypto alone loads ~40 of Node's own modules (streams among them): only set-up hashes anything.
  assert.not.ok(required.includes('node:crypto') || required.includes('node:child_process'), `requires ${required.join(', ')}`);
  // Every import() goes through the loader's (a vm script has none of its own), except the fallback for a plain require.
  const imported = new Set([...main.matchAll(/\b__netns_run_import\("([^"]+)"\)/g)].map((m) => m[1]!));
  // node:child_process is taken with process.getBuiltinModule where a helper is first needed (helpers.ts).
  const intoChunk = [...imported].filter((specifier) => specifier.startsWith('./netns-run-setup.cjs#'));
  assert.equal([...imported].filter((specifier) => !intoChunk.includes(specifier)).sort(), ['./netns-run-yargs.mjs', 'execa'].sort());
  assert.ok(intoChunk.length > 0, 'no import() leads into the set-up chunk');
  assert.is(main.match(/\bimport\(/g)?.length, 1);
});

// The guard of the warm path (docs/development.md, "The warm path and the
// set-up chunk"): a warm run evaluates only dist/netns-run-main.cjs, and that
// holds exactly these modules of src/. A module the warm path does not import
// lands in the set-up chunk by itself; one that it does must be added here,
// knowingly, with a look at `npm run bench`.
const WARM_MODULES = [
  'src/access.ts', 'src/authorise.ts', 'src/caller.ts', 'src/cli.ts', 'src/commands/run.ts', 'src/defaults.ts',
  'src/ensure/index.ts', 'src/ensure/inspect.ts', 'src/ensure/plan.ts', 'src/ensure/resolver.ts', 'src/entry.ts',
  'src/environment.ts', 'src/errors.ts', 'src/exec/execve.ts', 'src/exec/handoff.ts', 'src/exec/launch.ts', 'src/exec/plan.ts',
  'src/exec/spawn.ts', 'src/exec/status.ts', 'src/exec/stdio.ts', 'src/handover.ts', 'src/helpers.ts', 'src/inherited.ts',
  'src/main.ts', 'src/name.ts', 'src/network/files.ts', 'src/network/forward-records.ts', 'src/network/nscd-record.ts', 'src/network/processes.ts', 'src/network/state-record.ts', 'src/policy.ts', 'src/setuid-guard.ts', 'src/tools.ts', 'src/trust.ts',
];

test('the warm bundle holds only what a warm run uses; set-up, the network and the other commands are in the set-up chunk', () => {
  const modules = JSON.parse(readFileSync(MODULES_LIST, 'utf8')) as Record<string, string[]>;
  const warm = modules['dist/netns-run-main.cjs']!.filter((path) => path.startsWith('src/'));
  assert.equal(warm, [...WARM_MODULES].sort(), 'a module came into the warm path (or left it): see docs/development.md');
  const chunk = modules['dist/netns-run-setup.cjs']!;
  for (const heavy of ['src/ensure/set-up.ts', 'src/network/wg-quick.ts', 'src/network/wireguard.ts', 'src/network/report.ts', 'src/elevate.ts', 'src/commands/down.ts']) {
    assert.ok(chunk.includes(heavy), `${heavy} is not in the set-up chunk`);
  }
  // One copy of each module of src/: the chunk takes the warm bundle's (one NetnsRunError class).
  assert.equal(chunk.filter((path) => warm.includes(path)), []);
  const setUp = readFileSync(SETUP, 'utf8');
  // --list and --status evaluate the whole chunk: node:crypto is taken only where a file is hashed or a name drawn.
  assert.not.match(setUp, /\brequire\("node:(crypto|child_process)"\)/);
  for (const path of modules.shared!) assert.ok(setUp.includes(`require("./netns-run-main.cjs")[${JSON.stringify(path)}]`), path);
});

const STRACE = spawnSync('sh', ['-c', 'command -v strace'], { encoding: 'utf8' }).stdout.trim();
if (!STRACE) process.stdout.write('SKIP: strace is not installed: where yargs looks for package.json was not traced\n');
(STRACE ? test : test.skip)('yargs in the bundle looks for package.json from its own directory, never from the caller\'s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nrf-cwd-'));
  try {
    const log = join(dir, 'trace');
    const traced = spawnSync(STRACE, ['-f', '-qq', '-e', 'trace=open,openat,stat,newfstatat,statx', '-o', log, process.execPath, BUNDLE, '--unit', 'wg'], { cwd: dir, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    assert.is(traced.status, 0, traced.stderr);
    const touched = readFileSync(log, 'utf8').split('\n').filter((line) => line.includes(`"${dir}`) && !line.includes(log));
    assert.equal(touched, [], 'the bundle read the caller\'s directory (root would, under sudo)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
