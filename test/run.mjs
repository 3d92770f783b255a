#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in its own Node
// process, one after another, and ends with the line CI reads:
//   N passed, N failed, N skipped
// Usage: node test/run.mjs [DIR...]   (DIR: unit, kernel, ...; default: all)
// After each file it checks that the file left no namespace behind: a leak
// counts as a failure and is cleaned up so the next file starts clean.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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
  found.push(...readdirSync('/run').filter((n) => n.startsWith('netns-nrt-')).map((n) => `/run/${n}`));
  if (existsSync('/etc/netns')) found.push(...readdirSync('/etc/netns').filter((n) => n.startsWith('nrt-')).map((n) => `/etc/netns/${n}`));
  return found;
}

function sweep() {
  spawnSync('sh', ['-c', `
    for f in /run/netns-nrt-*/mntns; do [ -e "$f" ] && umount "$f"; done
    for d in /run/netns-nrt-*; do [ -d "$d" ] && { umount -l "$d"; rm -rf "$d"; }; done
    for n in /run/netns/nrt-*; do [ -e "$n" ] && ip netns delete "\${n##*/}"; done
    rm -rf /etc/netns/nrt-*
  `], { stdio: 'ignore' });
}

let passed = 0;
let failed = 0;
let skipped = 0;
const started = Date.now();
for (const file of files) {
  const name = relative(testRoot, file);
  process.stdout.write(`\n# ${name}\n`);
  const result = spawnSync(process.execPath, [file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
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
console.log(`\n# ${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
