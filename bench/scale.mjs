#!/usr/bin/env node
// npm run bench, scale section: what one more namespace costs when many
// exist (issue 16). For each size (default 10 and 500) it makes that many
// namespaces with netns-run, then measures, in the same run: mounts inside
// the first kept mount namespace when it was made and now, inside the last,
// the kernel's mount objects (mnt_cache), a warm run, --list, and
// `ip netns exec` on the host; and prints each size against the smallest as
// a ratio. Flat means ratios near 1 (--list: per namespace). Run as root; it
// removes what it made, also when interrupted.
// --list is judged by what one more namespace costs it: the difference
// between the largest and the smallest size, per namespace listed (target
// 0.1 ms, issue 16), which takes out its fixed cost.
// Environment:
//   NETNS_RUN_BENCH_SCALE   sizes, ':'-separated (default 10:500)
//   NETNS_RUN_BENCH_RUNS    timed runs per measurement (default 20)
//   NETNS_RUN_BENCH_PREFIX  prefix of the namespaces it makes (default netns-run-bench)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'bin', 'netns-run');
const SIZES = (process.env.NETNS_RUN_BENCH_SCALE || '10:500').split(':').map(Number).filter((n) => n > 0);
const RUNS = Number(process.env.NETNS_RUN_BENCH_RUNS || 20);
const PREFIX = `${process.env.NETNS_RUN_BENCH_PREFIX || 'netns-run-bench'}-`;

if (process.geteuid() !== 0) {
  console.error('bench: run it as root (it makes network namespaces)');
  process.exit(1);
}

function run(argv) {
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}`);
  return result.stdout;
}

function median(argv) {
  run(argv);
  const samples = [];
  for (let i = 0; i < RUNS; i += 1) {
    const start = process.hrtime.bigint();
    run(argv);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function mountsInside(name) {
  return run(['nsenter', `--mount=/run/netns-run/${name}/mntns`, 'cat', '/proc/self/mountinfo']).split('\n').filter(Boolean).length;
}

/** Active mount objects in the kernel (slab mnt_cache), or NaN where /proc/slabinfo does not say. */
function mountObjects() {
  try {
    const line = readFileSync('/proc/slabinfo', 'utf8').split('\n').find((l) => l.startsWith('mnt_cache '));
    return Number(line.split(/\s+/)[1]);
  } catch {
    return NaN;
  }
}

function ours() {
  return existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith(PREFIX)) : [];
}

/** Removes every namespace of this benchmark directly (faster than --down 500 times, and works on a half-made one). */
function removeAll() {
  for (const name of ours()) {
    spawnSync('umount', [`/run/netns-run/${name}/mntns`], { stdio: 'ignore' });
    rmSync(`/run/netns-run/${name}`, { recursive: true, force: true });
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  }
}

process.on('SIGINT', () => {
  removeAll();
  process.exit(130);
});

const rows = [];
removeAll();
try {
  for (const size of SIZES) {
    const names = Array.from({ length: size }, (_, i) => `${PREFIX}${String(i).padStart(5, '0')}`);
    const before = mountObjects();
    let firstAtBirth = 0;
    let lastAtBirth = 0;
    const made = Date.now();
    for (const [i, name] of names.entries()) {
      run([BIN, name, '--', 'true']);
      if (i === 0) firstAtBirth = mountsInside(name);
      if (i === size - 1) lastAtBirth = mountsInside(name);
    }
    const row = {
      size,
      firstUseMs: (Date.now() - made) / size,
      firstAtBirth,
      firstNow: mountsInside(names[0]),
      lastAtBirth,
      mountObjects: mountObjects() - before,
      warmMs: median([BIN, names[0], '--', 'true']),
      listMs: median([BIN, '--list']),
      // Every namespace on the host is listed, other tools' too.
      listed: readdirSync('/run/netns').length,
      ipExecMs: median(['ip', 'netns', 'exec', names[0], 'true']),
    };
    rows.push(row);
    process.stdout.write(`made ${size} namespaces (${row.firstUseMs.toFixed(1)} ms each)\n`);
    removeAll();
  }
} finally {
  removeAll();
}

const base = rows[0];
const ratio = (value, first) => (Number.isFinite(value) && Number.isFinite(first) && first > 0 ? `${(value / first).toFixed(2)}x` : '-');
const table = [
  ['measure', ...rows.map((r) => `${r.size} ns`), ...rows.slice(1).map((r) => `${r.size}/${base.size}`)],
  ['mounts in the first kept mount ns, when made', ...rows.map((r) => String(r.firstAtBirth)), ...rows.slice(1).map((r) => ratio(r.firstAtBirth, base.firstAtBirth))],
  ['mounts in the first, after all were made', ...rows.map((r) => String(r.firstNow)), ...rows.slice(1).map((r) => ratio(r.firstNow, base.firstNow))],
  ['mounts in the last, when made', ...rows.map((r) => String(r.lastAtBirth)), ...rows.slice(1).map((r) => ratio(r.lastAtBirth, base.firstAtBirth))],
  ['kernel mount objects per namespace', ...rows.map((r) => (r.mountObjects / r.size).toFixed(1)), ...rows.slice(1).map((r) => ratio(r.mountObjects / r.size, base.mountObjects / base.size))],
  ['warm run, ms', ...rows.map((r) => r.warmMs.toFixed(1)), ...rows.slice(1).map((r) => ratio(r.warmMs, base.warmMs))],
  ['--list, ms per namespace', ...rows.map((r) => (r.listMs / r.size).toFixed(3)), ...rows.slice(1).map((r) => ratio(r.listMs / r.size, base.listMs / base.size))],
  ['ip netns exec on the host, ms', ...rows.map((r) => r.ipExecMs.toFixed(1)), ...rows.slice(1).map((r) => ratio(r.ipExecMs, base.ipExecMs))],
];
const widths = table[0].map((_, c) => Math.max(...table.map((line) => line[c].length)));
process.stdout.write(`\n## Scale (issue 16): medians of ${RUNS}\n\n`);
for (const line of table) process.stdout.write(`${line.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}\n`);
const last = rows[rows.length - 1];
if (rows.length > 1 && last.listed > base.listed) {
  const perNamespace = (last.listMs - base.listMs) / (last.listed - base.listed);
  process.stdout.write(`--list: ${perNamespace.toFixed(3)} ms a namespace more (${base.listed} -> ${last.listed} listed: ${base.listMs.toFixed(1)} -> ${last.listMs.toFixed(1)} ms): ${perNamespace <= 0.1 ? 'pass' : 'FAIL'} (<= 0.1 ms)\n`);
}
const flat = rows.every((r) => r.firstNow <= base.firstAtBirth + 0 && r.lastAtBirth <= base.firstAtBirth + 0);
process.stdout.write(`\nkept mount namespaces flat: ${flat ? 'pass' : 'FAIL'} (the last holds no more than the first did; the first does not grow)\n`);
