#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in its own Node
// process, one after another, and ends with the line CI reads:
//   N passed, N failed, N skipped
// Usage: node test/run.mjs [DIR...]   (DIR: unit, kernel, ..., or one file: kernel/caller; default: all)
// NETNS_RUN_TEST_NODES=/path/to/node[:/path/to/another]: run the suite once
// more for each, with netns-run started by that Node (tests read it as
// NETNS_RUN_TEST_NODE), so that both exec paths (spawn on Node 20, execve
// on Node 22.15+/24) are proven in one run. CI sets it to a Node 24.
// After each file it checks that the file left nothing behind on the host
// (test/leaks.mjs): a leak counts as a failure and what the file added
// is removed so that the next file starts clean.
// Skips: uvu's own ("Skipped: N", from test.skip) and the "SKIP: reason"
// lines test/support/skip.ts prints for a test that found out while running
// that it could not check its point: those passed in uvu's count, and are
// moved from passed to skipped here. Every skip's reason is listed at the end.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { added, describeLeaks, snapshot, sweep } from './leaks.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const testRoot = join(root, 'dist', 'test');
const wanted = process.argv.slice(2);

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'support' ? [] : findTests(path);
    return entry.endsWith('.test.js') ? [path] : [];
  });
}

// A DIR may also name one file: kernel/caller (dist/test/kernel/caller.test.js).
const dirs = wanted.length ? wanted.map((d) => (existsSync(join(testRoot, `${d}.test.js`)) ? join(testRoot, `${d}.test.js`) : join(testRoot, d))) : [testRoot];
const files = dirs.flatMap((path) => (path.endsWith('.test.js') ? [path] : findTests(path)));
if (files.length === 0) {
  console.error(`no test files under ${dirs.map((d) => relative(root, d)).join(', ')}: run 'npm run build' first`);
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

// A plain test user must be able to run netns-run: a clone under /root (0700)
// is out of their reach. Then the tests run a copy of what the package
// installs (bin/, dist/, package.json and the production dependencies) in a
// root-owned directory everyone can search, removed at the end.
/** Whether others may search every directory from / down to PATH. */
function reachableByOthers(path) {
  for (let dir = path; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}

function reachableCopy() {
  const copy = mkdtempSync('/tmp/netns-run-test-');
  chmodSync(copy, 0o755);
  process.on('exit', () => rmSync(copy, { recursive: true, force: true }));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(128 + constants.signals[signal]));
  for (const entry of ['bin', 'dist', 'package.json']) {
    cpSync(join(root, entry), join(copy, entry), { recursive: true, filter: (source) => source !== join(root, 'dist', 'test') });
  }
  const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
  const modules = realpathSync(join(root, 'node_modules'));
  for (const path of (ls.stdout ?? '').split('\n').filter(Boolean).map((p) => realpathSync(p))) {
    if (!path.startsWith(`${modules}/`)) continue;
    const dependency = relative(modules, path);
    cpSync(path, join(copy, 'node_modules', dependency), { recursive: true, dereference: true, filter: (source) => source === path || !source.endsWith('/node_modules') });
  }
  spawnSync('chmod', ['-R', 'go+rX', copy]);
  return join(copy, 'bin', 'netns-run');
}

if (!process.env.NETNS_RUN_TEST_BIN && !reachableByOthers(root)) {
  process.env.NETNS_RUN_TEST_BIN = reachableCopy();
  console.log(`# ${root} is out of other users' reach (a directory on its path lacks o+x, as /root has):`);
  console.log(`# the tests run netns-run from a copy of the package in ${dirname(dirname(process.env.NETNS_RUN_TEST_BIN))}`);
}

const extraNodes = (process.env.NETNS_RUN_TEST_NODES ?? '').split(':').filter(Boolean);
for (const node of extraNodes) {
  if (!existsSync(node)) {
    console.error(`NETNS_RUN_TEST_NODES names ${node}, which does not exist`);
    console.log('0 passed, 1 failed, 0 skipped');
    process.exit(1);
  }
}
/** One pass a Node: the default (netns-run started by the Node running the tests), then each extra one. */
const passes = [undefined, ...extraNodes];

let passed = 0;
let failed = 0;
let skipped = 0;

/** Why tests were skipped, with the file each came from. */
const skipReasons = [];

/** Runs one test file in its own process and adds its counts; node: the Node netns-run is started by. */
function runFile(file, node) {
  const name = relative(testRoot, file);
  process.stdout.write(`\n# ${name}${node ? ` [${node}]` : ''}\n`);
  const env = { ...process.env, NO_COLOR: '1' };
  if (node) env.NETNS_RUN_TEST_NODE = node;
  const before = snapshot();
  const result = spawnSync(process.execPath, [file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    timeout: 20 * 60 * 1000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const stdout = result.stdout ?? '';
  process.stdout.write(stdout);
  process.stdout.write(result.stderr ?? '');
  const number = (label) => Number((new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(stdout) ?? [])[1] ?? NaN);
  const total = number('Total');
  const ok = number('Passed');
  const skip = number('Skipped');
  // One line per test that skipped while running (support/skip.ts); it passed in uvu's count.
  const skippedRunning = [...stdout.matchAll(/^SKIP: (.*)$/gm)].map((m) => m[1]);
  for (const reason of [...stdout.matchAll(/^# skipped here: (.*)$/gm)].map((m) => m[1]).concat(skippedRunning)) {
    skipReasons.push(`${name}${node ? ` [${node}]` : ''}: ${reason}`);
  }
  if (Number.isNaN(total) || Number.isNaN(ok)) {
    console.log(`# ${name}: ended without a summary (exit ${result.status}, signal ${result.signal}): counted as one failure`);
    failed += 1;
  } else if (skippedRunning.length > ok) {
    console.log(`# ${name}: ${skippedRunning.length} SKIP lines but only ${ok} tests passed: SKIP is printed by support/skip.ts only: counted as one failure`);
    passed += ok;
    failed += total - ok + 1;
  } else {
    passed += ok - skippedRunning.length;
    skipped += skippedRunning.length + (Number.isNaN(skip) ? 0 : skip);
    failed += total - ok;
    if (result.status !== 0 && total === ok) {
      console.log(`# ${name}: exited ${result.status} after its tests: counted as one failure`);
      failed += 1;
    }
  }
  const leaks = added(before, snapshot());
  if (Object.keys(leaks).length) {
    const sweeping = process.env.NETNS_RUN_TEST_SWEEP !== '0';
    console.log(`# ${name}: left behind ${describeLeaks(leaks)}: counted as one failure${sweeping ? ', removed' : ' (NETNS_RUN_TEST_SWEEP=0: not removed)'}`);
    failed += 1;
    if (sweeping) sweep(leaks);
  }
}

/** Whether NODE execs the chain (process.execve, Node 22.15+/24) rather than spawning it. */
function execvePath(node) {
  return spawnSync(node, ['-p', 'typeof process.execve'], { encoding: 'utf8' }).stdout?.trim() === 'function';
}

const started = Date.now();
for (const node of passes) {
  if (passes.length > 1) {
    const version = spawnSync(node ?? process.execPath, ['--version'], { encoding: 'utf8' }).stdout.trim();
    process.stdout.write(`\n## netns-run on Node ${version} (${node ?? process.execPath})\n`);
  }
  for (const file of files) runFile(file, node);
}
console.log(`\n# ${files.length} files x ${passes.length} pass${passes.length > 1 ? 'es' : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (skipReasons.length) console.log(`# skipped:\n${[...new Set(skipReasons)].map((r) => `#   ${r}`).join('\n')}`);
// Node started directly (a setuid wrapper) spawns the chain on Node 20 and execs it on 22.15+/24: say which was not run.
const paths = new Set(passes.map((node) => (execvePath(node ?? process.execPath) ? 'execve' : 'spawn')));
const missing = ['spawn', 'execve'].filter((path) => !paths.has(path));
const notCovered = missing.length
  ? `; not covered: the ${missing.join(' and ')} exec path (set NETNS_RUN_TEST_NODES to a Node ${missing.includes('execve') ? '>= 22.15, as .ci/run does' : '20'}; see docs/development.md)`
  : '';
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped${notCovered}`);
process.exit(failed ? 1 : 0);
