#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in its own Node
// process, one after another, and ends with the line CI reads:
//   N passed, N failed, N skipped
// Usage: node test/run.mjs [DIR...]   (DIR: unit, kernel, ...; default: all)
// NETNS_RUN_TEST_NODES=/path/to/node[:/path/to/another]: run the suite once
// more for each, with netns-run started by that Node (tests read it as
// NETNS_RUN_TEST_NODE), so that both exec paths (spawn on Node 20, execve
// on Node 22.15+/24) are proven in one run. CI sets it to a Node 24.
// After each file it checks that the file left no namespace behind: a leak
// counts as a failure and is cleaned up so the next file starts clean.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

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

const dirs = wanted.length ? wanted.map((d) => join(testRoot, d)) : [testRoot];
const files = dirs.flatMap(findTests);
if (files.length === 0) {
  console.error(`no test files under ${dirs.map((d) => relative(root, d)).join(', ')}: run 'npm run build' first`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

/** Test namespaces are all named nrt-*; anything of that name left after a file is a leak. */
function leftovers() {
  const found = [];
  if (existsSync('/run/netns')) found.push(...readdirSync('/run/netns').filter((n) => n.startsWith('nrt-')).map((n) => `/run/netns/${n}`));
  if (existsSync('/run/netns-run')) found.push(...readdirSync('/run/netns-run').filter((n) => n.startsWith('nrt-')).map((n) => `/run/netns-run/${n}`));
  if (existsSync('/etc/netns')) found.push(...readdirSync('/etc/netns').filter((n) => n.startsWith('nrt-')).map((n) => `/etc/netns/${n}`));
  // Test users, their sudo rules and policy lines are named nrt* as well.
  if (existsSync('/etc/sudoers.d')) found.push(...readdirSync('/etc/sudoers.d').filter((n) => n.startsWith('nrt')).map((n) => `/etc/sudoers.d/${n}`));
  const users = spawnSync('getent', ['passwd'], { encoding: 'utf8' }).stdout ?? '';
  found.push(...users.split('\n').filter((line) => /^nrt[0-9]/.test(line)).map((line) => `user ${line.split(':')[0]}`));
  if (existsSync('/etc/netns-run.conf') && /# nrt-/.test(readFileSync('/etc/netns-run.conf', 'utf8'))) found.push('a test line in /etc/netns-run.conf');
  return found;
}

function sweep() {
  spawnSync('sh', ['-c', `
    for f in /run/netns-run/nrt-*/mntns; do [ -e "$f" ] && umount "$f"; done
    for d in /run/netns-run/nrt-*; do [ -d "$d" ] && rm -rf "$d"; done
    for n in /run/netns/nrt-*; do [ -e "$n" ] && ip netns delete "\${n##*/}"; done
    rm -rf /etc/netns/nrt-* /etc/sudoers.d/nrt*
    for u in $(getent passwd | cut -d: -f1 | grep '^nrt[0-9]'); do userdel -r -f "$u"; done
    [ -f /etc/netns-run.conf ] && sed -i '/# nrt-/d' /etc/netns-run.conf
  `], { stdio: 'ignore' });
}

const extraNodes = (process.env.NETNS_RUN_TEST_NODES ?? '').split(':').filter(Boolean);
for (const node of extraNodes) {
  if (!existsSync(node)) {
    console.error(`NETNS_RUN_TEST_NODES names ${node}, which does not exist`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
/** One pass a Node: the default (netns-run started by the Node running the tests), then each extra one. */
const passes = [undefined, ...extraNodes];

let passed = 0;
let failed = 0;
let skipped = 0;

/** Runs one test file in its own process and adds its counts; node: the Node netns-run is started by. */
function runFile(file, node) {
  const name = relative(testRoot, file);
  process.stdout.write(`\n# ${name}${node ? ` [${node}]` : ''}\n`);
  const env = { ...process.env, NO_COLOR: '1' };
  if (node) env.NETNS_RUN_TEST_NODE = node;
  const result = spawnSync(process.execPath, [file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    timeout: 20 * 60 * 1000,
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(result.stdout ?? '');
  process.stdout.write(result.stderr ?? '');
  const number = (label) => Number((new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(result.stdout ?? '') ?? [])[1] ?? NaN);
  const total = number('Total');
  const ok = number('Passed');
  const skip = number('Skipped');
  if (Number.isNaN(total) || Number.isNaN(ok)) {
    console.log(`# ${name}: ended without a summary (exit ${result.status}, signal ${result.signal}): counted as one failure`);
    failed += 1;
  } else {
    passed += ok;
    skipped += Number.isNaN(skip) ? 0 : skip;
    failed += total - ok;
    if (result.status !== 0 && total === ok) {
      console.log(`# ${name}: exited ${result.status} after its tests: counted as one failure`);
      failed += 1;
    }
  }
  const leaked = leftovers();
  if (leaked.length) {
    console.log(`# ${name}: left behind ${leaked.join(' ')}: counted as one failure`);
    failed += 1;
    sweep();
  }
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
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
