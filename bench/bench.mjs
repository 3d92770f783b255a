#!/usr/bin/env node
// npm run bench: start-up cost of netns-run against baselines taken in the
// same run, on this machine, and the targets of issues #6, #12 and #16
// judged from them (the actions other than a run: --status, --ensure of an
// existing namespace, --list, --down).
// Not a test: it prints tables and exits 0 whatever the numbers say (it
// fails only if something it runs fails). Run as root: it makes and removes
// its own namespaces. netns-run is run the way users run it: bin/netns-run
// executed directly (its #!/bin/sh launcher runs `node`), with the directory
// of the Node under test first in PATH so that `node` is that Node.
// Environment:
//   NETNS_RUN_BENCH_NODE    the Node(s) that run netns-run, ':'-separated
//                           (default: the Node running this script); one table each
//   NETNS_RUN_BENCH_RUNS    timed runs per row (default 30)
//   NETNS_RUN_BENCH_PREFIX  prefix of the namespaces it makes (default nrt-bench)
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'bin', 'netns-run');
const NODES = (process.env.NETNS_RUN_BENCH_NODE || process.execPath).split(':').filter(Boolean);
const RUNS = Number(process.env.NETNS_RUN_BENCH_RUNS || 30);
const PREFIX = process.env.NETNS_RUN_BENCH_PREFIX || 'nrt-bench';
const SUDO = ['/usr/bin/sudo', '/bin/sudo'].find((path) => existsSync(path));
// Every Node start pays ~40 ms for NODE_EXTRA_CA_CERTS (it parses the whole
// bundle), with a spread that hides a few ms of netns-run's own: sudo, pkexec
// and systemd never pass it on, so no row has it, the baseline included.
const CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
delete process.env.NODE_EXTRA_CA_CERTS;
const PIPE_MIB = 1024;
const PIPE_RUNS = 9;

if (process.geteuid() !== 0) {
  console.error('bench: run it as root (it makes network namespaces)');
  process.exit(1);
}
if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}$/.test(PREFIX)) {
  console.error(`bench: NETNS_RUN_BENCH_PREFIX ${JSON.stringify(PREFIX)} is no usable namespace name prefix`);
  process.exit(1);
}

function sh(command, env = process.env) {
  return spawnSync('sh', ['-c', command], { encoding: 'utf8', env });
}

/** Wall time of one run of argv, in ms; throws if it fails. */
function once(argv, env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}`);
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
  for (let i = 0; i < 3; i += 1) rows.forEach((row) => row.warmup !== false && once(row.argv(-1 - i), row.env));
  for (let i = 0; i < RUNS; i += 1) {
    rows.forEach((row, r) => {
      samples[r].push(once(row.argv(i), row.env));
      if (row.after) row.after(i);
    });
  }
  return rows.map((row, r) => ({ label: row.label, ...stats(samples[r]) }));
}

/** The PIDs below pid, found through /proc/PID/task/TID/children. */
function descendants(pid) {
  const found = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    let children = '';
    try {
      for (const tid of readdirSync(`/proc/${parent}/task`)) children += `${readFileSync(`/proc/${parent}/task/${tid}/children`, 'utf8')} `;
    } catch {
      continue;
    }
    for (const child of children.split(/\s+/).filter(Boolean).map(Number)) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function processInfo(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { pid, name: /^Name:\s*(\S+)/m.exec(status)[1], rss: Number(/^VmRSS:\s*(\d+)/m.exec(status)?.[1] ?? 0) / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * netns-run with a long-running target: what runs under the PID the caller
 * started, and whether any process of netns-run's own (Node, the launcher
 * shell) is still alive while the target runs.
 */
function longRunning(name, env) {
  const child = spawn(BIN, [name, '--', 'sleep', '3'], { stdio: 'ignore', env });
  return new Promise((resolve) => {
    setTimeout(() => {
      const self = processInfo(child.pid) ?? { pid: child.pid, name: '(gone: the run failed)', rss: 0 };
      const below = descendants(child.pid).map(processInfo).filter(Boolean);
      const ours = [self, ...below].filter((p) => p.name !== 'sleep');
      const done = () => resolve({ self, below, ours });
      if (child.exitCode !== null) done();
      else child.on('exit', done);
    }, 1500);
  });
}

/** MiB/s of PIPE_MIB MiB through cat, with or without netns-run in between; start-up (startMs) taken out. */
function throughput(withRunner, name, env, startMs = 0) {
  const middle = withRunner ? `"${BIN}" ${name} -- cat` : 'cat';
  const pipeline = `head -c ${PIPE_MIB}M /dev/zero | ${middle} | cat > /dev/null`;
  const start = process.hrtime.bigint();
  const result = sh(pipeline, env);
  if (result.status !== 0) throw new Error(`${pipeline}: ${result.stderr}`);
  return PIPE_MIB / ((Number(process.hrtime.bigint() - start) / 1e6 - startMs) / 1e3);
}

/** Whether the target's stdin and stdout are the very pipes the caller gave netns-run (so no process copies the data). */
function samePipes(name, env) {
  const result = sh(
    `sleep 1 | { "${BIN}" ${name} -- sh -c 'readlink /proc/$$/fd/0 /proc/$$/fd/1' | { readlink /proc/self/fd/0; cat; }; }`,
    env,
  );
  // Printed: the reader's stdin (the pipe the target writes), then the target's fd 0 and fd 1.
  const [readerIn, targetIn, targetOut] = result.stdout.trim().split('\n');
  return result.status === 0 && targetOut === readerIn && /^pipe:/.test(targetIn ?? '');
}

/** Press TAB in bash (the completion function, called as bash-completion would) with a PATH whose node and netns-run leave marks. */
function completionStartsNode() {
  if (spawnSync('sh', ['-c', 'command -v bash'], { stdio: 'ignore' }).status !== 0) return 'no bash here';
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}-tab-`));
  try {
    for (const fake of ['node', 'netns-run', 'nodejs']) {
      writeFileSync(join(dir, fake), `#!/bin/sh\necho ${fake} >> ${dir}/started\n`);
      chmodSync(join(dir, fake), 0o755);
    }
    const script = `
      source ${JSON.stringify(join(root, 'completions', 'netns-run.bash'))}
      for line in 'netns-run ' 'netns-run --' 'netns-run --status ' 'netns-run -u root '; do
        read -ra COMP_WORDS <<< "$line"; [[ $line == *' ' ]] && COMP_WORDS+=('')
        COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMP_LINE=$line; COMP_POINT=\${#line}
        _netns_run netns-run "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
        printf '%s\\n' "\${#COMPREPLY[@]}"
      done`;
    const result = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin` } });
    if (result.status !== 0) return `bash failed: ${result.stderr.trim()}`;
    return existsSync(join(dir, 'started')) ? `started ${readFileSync(join(dir, 'started'), 'utf8').trim().replace(/\n/g, ', ')}` : '';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function mark(ok) {
  return ok ? 'pass' : 'FAIL';
}

async function bench(node) {
  const nodeDir = dirname(node);
  // What users get: bin/netns-run's `node` is the Node under test.
  const env = { ...process.env, PATH: `${nodeDir}:${process.env.PATH ?? '/usr/bin:/bin'}` };
  const name = `${PREFIX}-${process.pid}-${NODES.indexOf(node)}`;
  const cold = (i) => `${name}-c${i < 0 ? `w${-i}` : i}`;
  const down = (n) => {
    spawnSync(BIN, ['--down', n], { stdio: 'ignore', env });
    rmSync(`/etc/netns/${n}`, { recursive: true, force: true });
  };
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const execve = spawnSync(node, ['-p', 'typeof process.execve'], { encoding: 'utf8' }).stdout.trim() === 'function';
  const launcher = readFileSync(BIN, 'utf8').startsWith('#!/bin/sh') ? 'the #!/bin/sh launcher execs the chain' : `Node ${execve ? 'execs' : 'spawns'} the chain`;
  let sudoArgv;
  let sudoNote = '';
  if (SUDO) {
    // sudo's secure_path decides which `node` the launcher finds: use it when it is the Node under test, else say so and set PATH.
    const sudoNode = sh(`${SUDO} -n sh -c 'command -v node'`).stdout.trim();
    const sudoPath = sh(`${SUDO} -n sh -c 'printf %s "$PATH"'`).stdout;
    let same = false;
    try {
      same = realpathSync(sudoNode) === realpathSync(node);
    } catch {
      // no node in sudo's PATH
    }
    sudoArgv = same ? [SUDO, '-n', BIN] : [SUDO, '-n', '/usr/bin/env', `PATH=${nodeDir}:${sudoPath}`, BIN];
    sudoNote = same
      ? `through sudo: \`sudo ${BIN} ...\` (sudo's secure_path finds this Node)`
      : `through sudo: \`sudo env PATH=${nodeDir}:... ${BIN} ...\` (sudo's secure_path would find ${sudoNode || 'no node'}; env adds ~0.5 ms to that row)`;
  }
  try {
    once([BIN, name, '--', 'true'], env); // first use: make the namespace the warm rows use
    const netns = `/run/netns/${name}`;
    const mntns = `/run/netns-run/${name}/mntns`;
    const rows = [
      { label: 'node -e 0', argv: () => [node, '-e', '0'], env },
      { label: 'nsenter + setpriv (C floor)', argv: () => ['nsenter', `--net=${netns}`, `--mount=${mntns}`, '--', 'setpriv', '--reuid=0', '--regid=0', '--init-groups', '--', 'true'] },
      // Where the own cost goes: env(1) at the end of the chain, and Node's part alone (the launcher's capture of its plan, without the exec).
      { label: 'C floor + env(1)', argv: () => ['nsenter', `--net=${netns}`, `--mount=${mntns}`, '--', 'setpriv', '--reuid=0', '--regid=0', '--init-groups', '--', 'env', '--chdir=/', '--', 'true'] },
      { label: 'sh capturing node -e 0', argv: () => ['sh', '-c', 'x=$(node -e 0)'], env },
      { label: "sh capturing netns-run's plan", argv: () => ['sh', '-c', 'x=$(NETNS_RUN_EXEC_FD=3 node "$0" "$1" -- true 3>&1)', BIN, name], env },
      { label: 'ip netns exec', argv: () => ['ip', 'netns', 'exec', name, 'true'] },
      { label: 'NixOS wrapper (shell, no pkexec)', argv: () => ['sh', '-c', 'exec nsenter --mount="$1" --net="$2" -S "$(id -u)" -G "$(id -g)" -- true', 'sh', mntns, netns] },
      { label: 'netns-run warm', argv: () => [BIN, name, '--', 'true'], env },
      { label: 'netns-run cold', argv: (i) => [BIN, cold(i), '--', 'true'], env, warmup: false },
      // What the cold row just made, taken down again.
      { label: 'netns-run --down NAME', argv: (i) => [BIN, '--down', cold(i)], env, after: (i) => rmSync(`/etc/netns/${cold(i)}`, { recursive: true, force: true }), warmup: false },
      { label: 'netns-run --status NAME', argv: () => [BIN, '--status', name], env },
      { label: 'netns-run --ensure NAME (made)', argv: () => [BIN, '--ensure', name], env },
      { label: 'netns-run --list', argv: () => [BIN, '--list'], env },
    ];
    if (sudoArgv) {
      rows.push({ label: 'sudo true', argv: () => [SUDO, '-n', 'true'] });
      rows.push({ label: 'sudo netns-run warm', argv: () => [...sudoArgv, name, '--', 'true'] });
    }
    const load = loadavg()[0];
    const results = measure(rows);
    const listed = existsSync('/run/netns') ? readdirSync('/run/netns').length : 0;
    const by = Object.fromEntries(results.map((r) => [r.label, r.median]));
    const base = by['node -e 0'];
    const targets = {
      'netns-run warm': by['node -e 0'] + by['nsenter + setpriv (C floor)'] + 5,
      'netns-run cold': 2 * by['netns-run warm'],
      'netns-run --down NAME': 1.5 * by['netns-run warm'],
      'netns-run --status NAME': by['netns-run warm'] + 10,
      'netns-run --ensure NAME (made)': by['netns-run warm'] + 10,
      'netns-run --list': by['netns-run warm'] + 10,
      'sudo netns-run warm': by['netns-run warm'] + by['sudo true'] + 5,
    };
    const targetText = {
      'netns-run warm': 'node -e 0 + C floor + 5',
      'netns-run cold': '2 x warm',
      'netns-run --down NAME': '1.5 x warm',
      'netns-run --status NAME': 'warm + 10',
      'netns-run --ensure NAME (made)': 'warm + 10',
      'netns-run --list': `warm + 10; ${listed} namespaces listed`,
      'sudo netns-run warm': 'warm + sudo true + 5',
    };
    const pad = (s, n) => String(s).padEnd(n);
    const num = (x) => x.toFixed(1).padStart(7);
    console.log(`\nnetns-run start-up: Node ${version} (${node}); ${launcher}`);
    console.log(`${RUNS} runs a row, interleaved; ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Linux ${release()}, load average ${load.toFixed(2)} before`);
    if (CA_CERTS) console.log(`NODE_EXTRA_CA_CERTS (${CA_CERTS}) is taken out of every row, node -e 0 included: sudo, pkexec and systemd never pass it`);
    if (sudoNote) console.log(sudoNote);
    console.log(`${pad('what (ms)', 34)}${'median'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)}  ${'x node'.padStart(6)}  target`);
    for (const r of results) {
      const target = targets[r.label];
      const verdict = target === undefined ? '' : `${mark(r.median <= target)}: <= ${target.toFixed(1)} (${targetText[r.label]})`;
      console.log(`${pad(r.label, 34)}${num(r.median)} ${num(r.min)} ${num(r.max)}  ${(r.median / base).toFixed(2).padStart(6)}  ${verdict}`);
    }
    console.log(`netns-run's own cost, warm: ${(by['netns-run warm'] - by['node -e 0'] - by['nsenter + setpriv (C floor)']).toFixed(1)} ms over node -e 0 + the C floor (launcher shell and env(1) included)`);
    const envShare = by['C floor + env(1)'] - by['nsenter + setpriv (C floor)'];
    const nodeShare = by["sh capturing netns-run's plan"] - by['sh capturing node -e 0'];
    const ownCost = by['netns-run warm'] - by['node -e 0'] - by['nsenter + setpriv (C floor)'];
    console.log(`  of which env(1) ${envShare.toFixed(1)} ms, Node's own work (load, check, plan) ${nodeShare.toFixed(1)} ms, launcher shell and the rest ${(ownCost - envShare - nodeShare).toFixed(1)} ms`);
    console.log(`cold / warm: ${(by['netns-run cold'] / by['netns-run warm']).toFixed(2)}`);
    if (sudoArgv) console.log(`through sudo, over warm + sudo true: ${(by['sudo netns-run warm'] - by['netns-run warm'] - by['sudo true']).toFixed(1)} ms`);
    const over = (label) => `${(by[label] - by['netns-run warm']).toFixed(1)} ms`;
    console.log(`over a warm run: --status ${over('netns-run --status NAME')}, --ensure ${over('netns-run --ensure NAME (made)')}, --list ${over('netns-run --list')}; --down / warm: ${(by['netns-run --down NAME'] / by['netns-run warm']).toFixed(2)}`);

    const tab = completionStartsNode();
    console.log(`completion (bash, TAB at NAME, options, --status NAME, after -u): ${tab === '' ? 'pass: no Node process started' : tab.startsWith('no bash') ? `not checked: ${tab}` : `FAIL: ${tab}`}`);

    const { self, below, ours } = await longRunning(name, env);
    const kept = ours.filter((p) => p.pid !== self.pid || self.name !== 'sleep');
    const rss = Math.max(0, ...ours.map((p) => p.rss));
    const tree = [self, ...below].map((p) => `${p.name} ${p.rss.toFixed(1)} MiB`).join(' > ');
    const longOk = self.name === 'sleep' && below.length === 0 ? true : rss <= 50;
    console.log(`long-running target (sleep): the caller's PID runs ${tree}; ${kept.length === 0 ? 'no process of netns-run\'s own is left' : `netns-run keeps ${kept.map((p) => p.name).join(', ')} (${rss.toFixed(1)} MiB resident at most)`}: ${mark(longOk)}`);

    const direct = samePipes(name, env);
    const plain = [];
    const through = [];
    for (let i = 0; i < PIPE_RUNS; i += 1) {
      plain.push(throughput(false, name, env));
      through.push(throughput(true, name, env, by['netns-run warm']));
    }
    // The best run of each: on a shared machine the slow runs measure the neighbours.
    const best = (xs) => Math.max(...xs);
    const ratio = best(through) / best(plain);
    console.log(
      `pipes: ${PIPE_MIB} MiB through cat, best of ${PIPE_RUNS}, start-up taken out: ${best(plain).toFixed(0)} MiB/s without, ` +
        `${best(through).toFixed(0)} MiB/s through netns-run (${ratio.toFixed(2)}); the target ${direct ? 'reads and writes the caller\'s own pipes (nothing copies in between)' : 'does NOT get the caller\'s pipes'}: ` +
        mark(direct && ratio >= 0.9),
    );
    console.log(`load average after: ${loadavg()[0].toFixed(2)}`);
  } finally {
    down(name);
    for (let i = -3; i < RUNS; i += 1) if (existsSync(`/run/netns-run/${cold(i)}`) || existsSync(`/run/netns/${cold(i)}`) || existsSync(`/etc/netns/${cold(i)}`)) down(cold(i));
  }
}

for (const node of NODES) await bench(node);
