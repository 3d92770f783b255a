#!/usr/bin/env node
// npm run bench: start-up cost of netns-run against baselines taken in the
// same run, on this machine. Not a test: it prints one table and never fails
// on a number. Run as root (it makes and removes its own namespaces, named
// nrt-bench-*). Environment:
//   NETNS_RUN_BENCH_NODE  the Node that runs netns-run (default: this one)
//   NETNS_RUN_BENCH_RUNS  timed runs per row (default 30)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = `${root}bin/netns-run`;
const NODE = process.env.NETNS_RUN_BENCH_NODE || process.execPath;
const RUNS = Number(process.env.NETNS_RUN_BENCH_RUNS || 30);
const NAME = `nrt-bench-${process.pid}`;

if (process.geteuid() !== 0) {
  console.error('bench: run it as root (it makes network namespaces)');
  process.exit(1);
}

function sh(command) {
  return spawnSync('sh', ['-c', command], { encoding: 'utf8' });
}

function down(name) {
  spawnSync(NODE, [BIN, '--down', name], { stdio: 'ignore' });
  sh(`rm -rf /etc/netns/${name}`);
}

/** Wall time of one run of argv, in ms; throws if it fails. */
function once(argv, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed (${result.status}): ${result.stderr}`);
  return ms;
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Interleaves rows run by run, so that drift of a noisy machine hits every row alike. */
function measure(rows) {
  const samples = rows.map(() => []);
  for (const row of rows) if (row.before) row.before();
  for (let i = 0; i < 3; i += 1) rows.forEach((row) => row.warmup !== false && once(row.argv(i)));
  for (let i = 0; i < RUNS; i += 1) {
    rows.forEach((row, r) => {
      if (row.prepare) row.prepare(i);
      samples[r].push(once(row.argv(i)));
      if (row.after) row.after(i);
    });
  }
  return rows.map((row, r) => ({ label: row.label, ...stats(samples[r]) }));
}

function rssOfRunner() {
  // The runner's own process while its target sleeps: on the execve path the
  // target has taken over netns-run's PID and no Node process is left.
  const child = spawn(NODE, [BIN, NAME, '--', 'sleep', '2'], { stdio: 'ignore' });
  return new Promise((resolve) => {
    setTimeout(() => {
      let found = { name: '(already gone: the run failed)', rss: 0 };
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        found = { name: /^Name:\s*(\S+)/m.exec(status)[1], rss: Number(/^VmRSS:\s*(\d+)/m.exec(status)[1]) / 1024 };
      } catch {
        // reported as gone
      }
      if (child.exitCode !== null) resolve(found);
      else child.on('exit', () => resolve(found));
    }, 1000);
  });
}

/** MiB/s of a pipeline through cat; the runner's start-up (startMs) is taken out, so only the data path counts. */
function throughput(withRunner, startMs = 0) {
  const mib = 2048;
  const pipeline = withRunner
    ? `head -c ${mib}M /dev/zero | "${NODE}" "${BIN}" ${NAME} -- cat | cat > /dev/null`
    : `head -c ${mib}M /dev/zero | cat | cat > /dev/null`;
  const start = process.hrtime.bigint();
  const result = sh(pipeline);
  if (result.status !== 0) throw new Error(`${pipeline}: ${result.stderr}`);
  return mib / ((Number(process.hrtime.bigint() - start) / 1e6 - startMs) / 1e3);
}

const cold = (i) => `${NAME}-c${i}`;
const sudo = existsSync('/usr/bin/sudo') ? '/usr/bin/sudo' : undefined;
try {
  once([NODE, BIN, NAME, '--', 'true']); // first use: make the namespace the warm rows use
  const netns = `/run/netns/${NAME}`;
  const mntns = `/run/netns-${NAME}/mntns`;
  const rows = [
    { label: 'node -e 0', argv: () => [NODE, '-e', '0'] },
    { label: 'nsenter + setpriv (C floor)', argv: () => ['nsenter', `--net=${netns}`, `--mount=${mntns}`, '--', 'setpriv', '--reuid=0', '--regid=0', '--init-groups', '--', 'true'] },
    { label: 'ip netns exec', argv: () => ['ip', 'netns', 'exec', NAME, 'true'] },
    { label: 'NixOS wrapper (shell, no pkexec)', argv: () => ['sh', '-c', 'exec nsenter --mount="$1" --net="$2" -S "$(id -u)" -G "$(id -g)" -- true', 'sh', mntns, netns] },
    { label: 'netns-run warm', argv: () => [NODE, BIN, NAME, '--', 'true'] },
    { label: 'netns-run cold', argv: (i) => [NODE, BIN, cold(i), '--', 'true'], after: (i) => down(cold(i)), warmup: false },
  ];
  if (sudo) {
    rows.push({ label: 'sudo true', argv: () => [sudo, '-n', 'true'] });
    rows.push({ label: 'sudo netns-run warm', argv: () => [sudo, '-n', NODE, BIN, NAME, '--', 'true'] });
  }
  const results = measure(rows);
  const base = results[0].median;
  const pad = (s, n) => String(s).padEnd(n);
  const num = (x) => x.toFixed(1).padStart(7);
  const execvePath = spawnSync(NODE, ['-p', 'typeof process.execve'], { encoding: 'utf8' }).stdout.trim() === 'function';
  console.log(`netns-run start-up, ${RUNS} runs a row, Node ${spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim()} (${execvePath ? 'execve' : 'spawn'} path), on ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} CPUs`);
  console.log(`NODE_EXTRA_CA_CERTS is ${process.env.NODE_EXTRA_CA_CERTS ? `set (${process.env.NODE_EXTRA_CA_CERTS}): every Node start pays for it` : 'not set'}`);
  console.log(`${pad('what', 34)}${'median'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)}  x node -e 0`);
  for (const r of results) console.log(`${pad(r.label, 34)}${num(r.median)} ${num(r.min)} ${num(r.max)}  ${(r.median / base).toFixed(2)}`);
  const byLabel = Object.fromEntries(results.map((r) => [r.label, r.median]));
  console.log(`netns-run's own cost on the warm path: ${(byLabel['netns-run warm'] - byLabel['node -e 0'] - byLabel['nsenter + setpriv (C floor)']).toFixed(1)} ms over node -e 0 + the C floor`);
  console.log(`cold / warm: ${(byLabel['netns-run cold'] / byLabel['netns-run warm']).toFixed(2)}`);
  if (sudo) console.log(`through sudo, over warm + sudo true: ${(byLabel['sudo netns-run warm'] - byLabel['netns-run warm'] - byLabel['sudo true']).toFixed(1)} ms`);
  const { name, rss } = await rssOfRunner();
  console.log(`while the target sleeps, netns-run's PID is "${name}" with ${rss.toFixed(1)} MiB resident${name === 'sleep' ? ' (execve path: no Node process left)' : ''}`);
  const plain = throughput(false);
  const through = throughput(true, byLabel['netns-run warm']);
  console.log(`pipe throughput (2 GiB through cat, start-up taken out): ${plain.toFixed(0)} MiB/s without, ${through.toFixed(0)} MiB/s through netns-run (${(through / plain).toFixed(2)})`);
} finally {
  down(NAME);
  for (let i = 0; i < RUNS; i += 1) if (existsSync(`/run/netns-${cold(i)}`) || existsSync(`/run/netns/${cold(i)}`)) down(cold(i));
}
