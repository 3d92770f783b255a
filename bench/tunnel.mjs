#!/usr/bin/env node
// npm run bench, tunnel section (issue 13): netns-run with a WireGuard file
// against the same steps done by hand, in the same run, on this machine.
//   cold: netns-run's first use of a namespace with /etc/netns-run/NAME/wg0.conf
//         (namespace, kept mount namespace, wireguard-go, wg setconf, move,
//         rename, addresses, routes, resolv.conf from DNS =, then `true`)
//         against a shell script of ip/wg commands doing the same, ending
//         with `ip netns exec NAME true`. Target: at most 1.2x.
//   download: 100 MB over HTTP through netns-run's tunnel against a tunnel
//         the script made, both userspace (wireguard-go) to the same server.
//         Target: at least 0.95x.
// The world is made of namespaces made here and nothing else: a host
// stand-in nrb-h-PID (where netns-run and the script run, and their
// wireguard-go with them) and a VPN server nrb-v-PID (wireguard-go with a
// peer for each client, an HTTP server on its tunnel address), joined by a
// veth pair. No packet goes anywhere else. Keys are made for this run with
// `wg genkey` and reach wg on stdin or in root-only files. Everything is
// removed at the end, also on failure or a signal. Not a test: it prints
// medians, ratios and pass/FAIL, and exits 0 whatever the numbers say (it
// fails only if something it runs fails). Run as root.
// Environment:
//   NETNS_RUN_BENCH_TUNNEL_RUNS       cold runs of each (default 10)
//   NETNS_RUN_BENCH_TUNNEL_DOWNLOADS  downloads through each (default 5)
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onExit } from 'signal-exit';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'bin', 'netns-run');
const RUNS = Number(process.env.NETNS_RUN_BENCH_TUNNEL_RUNS || 10);
const DOWNLOADS = Number(process.env.NETNS_RUN_BENCH_TUNNEL_DOWNLOADS || 5);
const BYTES = 100_000_000;
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const ID = process.pid;
const HOST = `nrb-h-${ID}`;
const VPN = `nrb-v-${ID}`;
const SERVER = '10.99.1.1';
const ENDPOINT = '10.211.0.1';
const PORT = 51820;
const CLIENTS = { netnsRun: { v4: '10.99.1.2', v6: 'fd99:1::2' }, script: { v4: '10.99.1.3', v6: 'fd99:1::3' } };
// As bench.mjs: sudo, pkexec and systemd never pass NODE_EXTRA_CA_CERTS on, and here it costs every Node start ~40 ms the script never pays.
const CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
delete process.env.NODE_EXTRA_CA_CERTS;

if (process.geteuid() !== 0) {
  console.error('bench: run it as root (it makes network namespaces)');
  process.exit(1);
}
const missing = ['wg', 'wireguard-go', 'curl', 'ip', 'nsenter', 'unshare'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0);
if (missing.length > 0) {
  console.log(`\ntunnel: not measured: ${missing.join(', ')} not installed (Debian: wireguard-tools, wireguard-go, curl)`);
  process.exit(0);
}

/** Runs argv; throws with its stderr when it fails. */
function run(argv, input) {
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr.trim()}`);
  return result.stdout;
}

function tryRun(argv) {
  return spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' }).status === 0;
}

/** Wall time of argv in ms; throws if it fails. stdout and stderr go to files, so no process left behind can hold a pipe open. */
function timed(argv) {
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}`);
  return ms;
}

function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Polls CONDITION, letting the event loop run in between (the servers' logs come through it). */
async function waitFor(what, condition, boundMs = 5_000) {
  const end = Date.now() + boundMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`tunnel bench: ${what} did not happen within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const inHost = (argv) => ['nsenter', `--net=/run/netns/${HOST}`, '--', ...argv];
const work = mkdtempSync(join(tmpdir(), 'nrb-tunnel-'));
chmodSync(work, 0o700);
// What was made, for cleanup: netns-run's namespaces (removed with --down), the script's, the world's.
const made = { netnsRun: new Set(), script: new Set(), world: [], children: [] };

/** Ends everything this bench made. Synchronous: it also runs from the exit hook. */
function cleanup() {
  for (const name of made.netnsRun) {
    // Where netns-run made it: its wireguard-go runs in the host stand-in.
    const viaHost = existsSync(`/run/netns/${HOST}`) ? inHost([BIN, '--down', name]) : [BIN, '--down', name];
    spawnSync(viaHost[0], viaHost.slice(1), { stdio: 'ignore', env: { PATH } });
    rmSync(`/etc/netns-run/${name}`, { recursive: true, force: true });
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  }
  made.netnsRun.clear();
  for (const name of made.script) removeScripted(name);
  made.script.clear();
  for (const child of made.children) if (alive(child.pid)) child.kill('SIGKILL');
  const killed = [];
  for (const ns of made.world) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split('\n').filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // gone
      }
    }
    tryRun(['ip', 'netns', 'delete', ns]);
  }
  made.world = [];
  const end = Date.now() + 5_000;
  while (killed.some(alive) && Date.now() < end) sleepMs(20);
  rmSync(work, { recursive: true, force: true });
}
onExit(() => {
  cleanup();
});

/** A key pair: the private key stays in a root-only file, the public one is printed. */
function keyPair(label) {
  const file = join(work, `${label}.key`);
  writeFileSync(file, run(['wg', 'genkey']), { mode: 0o600 });
  return { file, private: readFileSync(file, 'utf8').trim(), public: run(['wg', 'pubkey'], readFileSync(file, 'utf8')).trim() };
}

const DOWNLOAD_SERVER = `
const http = require('node:http');
const chunk = Buffer.alloc(1 << 20);
http.createServer((req, res) => {
  process.stdout.write('request ' + req.socket.remoteAddress + ' ' + req.url + '\\n');
  if (req.url !== '/download') return res.end('ok\\n');
  res.writeHead(200, { 'content-length': String(${BYTES}) });
  let left = ${BYTES};
  const more = () => {
    while (left > 0) {
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= part.length;
      if (!res.write(part)) return res.once('drain', more);
    }
    res.end();
  };
  more();
}).listen(8080, ${JSON.stringify(SERVER)}, () => process.stdout.write('ready\\n'));
`;

/** The host stand-in and the VPN server; returns the server's log (a getter) and the clients' keys. */
async function makeWorld() {
  for (const ns of [HOST, VPN]) {
    run(['ip', 'netns', 'add', ns]);
    made.world.push(ns);
  }
  run(['ip', '-n', HOST, 'link', 'add', 'nrbh0', 'type', 'veth', 'peer', 'name', 'nrbv0', 'netns', VPN]);
  run(['ip', '-n', HOST, '-batch', '-'], `link set lo up\naddress add 10.211.0.2/24 dev nrbh0\nlink set nrbh0 up\n`);
  run(['ip', '-n', VPN, '-batch', '-'], `link set lo up\naddress add ${ENDPOINT}/24 dev nrbv0\nlink set nrbv0 up\n`);
  const keys = { server: keyPair('server'), netnsRun: keyPair('netns-run'), script: keyPair('script') };
  const wgGo = spawn('nsenter', [`--net=/run/netns/${VPN}`, '--', 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -t tmpfs nrb /run && exec wireguard-go nrbsrv'], {
    env: { PATH, WG_PROCESS_FOREGROUND: '1' },
    stdio: 'ignore',
  });
  made.children.push(wgGo);
  await waitFor('the VPN server\'s wireguard-go', () => alive(wgGo.pid) && tryRun(['test', '-S', `/proc/${wgGo.pid}/root/run/wireguard/nrbsrv.sock`]));
  // Node hands input over a socket, which wg cannot fopen as /dev/stdin: cat turns it into a pipe.
  run(['nsenter', `--mount=/proc/${wgGo.pid}/ns/mnt`, `--net=/run/netns/${VPN}`, '--', 'sh', '-c', 'cat | wg setconf nrbsrv /dev/stdin'], [
    '[Interface]',
    `PrivateKey = ${keys.server.private}`,
    `ListenPort = ${PORT}`,
    ...Object.entries(CLIENTS).flatMap(([who, a]) => ['[Peer]', `PublicKey = ${keys[who].public}`, `AllowedIPs = ${a.v4}/32, ${a.v6}/128`]),
    '',
  ].join('\n'));
  run(['ip', '-n', VPN, '-batch', '-'], `address add ${SERVER}/24 dev nrbsrv\naddress add fd99:1::1/64 dev nrbsrv nodad\nlink set nrbsrv up\n`);
  let log = '';
  const web = spawn('nsenter', [`--net=/run/netns/${VPN}`, '--', process.execPath, '-e', DOWNLOAD_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  made.children.push(web);
  web.stdout.on('data', (chunk) => (log += chunk.toString()));
  return { keys, log: () => log, ready: () => log.includes('ready\n') };
}

/** The client's wg-quick file, as a provider hands it out. */
function clientConfig(keys, who) {
  const a = CLIENTS[who];
  return [
    '[Interface]',
    `PrivateKey = ${keys[who].private}`,
    `Address = ${a.v4}/32, ${a.v6}/128`,
    `DNS = ${SERVER}`,
    '',
    '[Peer]',
    `PublicKey = ${keys.server.public}`,
    `Endpoint = ${ENDPOINT}:${PORT}`,
    'AllowedIPs = 0.0.0.0/0, ::/0',
    '',
  ].join('\n');
}

// What an administrator would write by hand for the same result (run in the
// host stand-in): the namespace, wireguard-go under a temporary name with a
// private /var/run/wireguard (so that two namespaces may both have wg0),
// wg setconf from a stripped file, the move, the rename, addresses, up,
// routes for AllowedIPs, resolv.conf from DNS =, and the command.
// wireguard-go in a session of its own, as netns-run starts it (and as a unit's
// would be): with the kernel's autogroup scheduling a session is a group that
// the CPU is shared between, so a tunnel left in the benchmark's own session
// would be weighed differently from netns-run's (0.8x against 0.95x here).
const SCRIPT = `set -e
n=$1 t=$2 conf=$3 dir=$4 v4=$5 v6=$6 dns=$7
ip netns add "$n"
ip -n "$n" link set lo up
mkdir -p /var/run/wireguard "$dir"
WG_PROCESS_FOREGROUND=1 setsid unshare --mount --propagation private -- \\
  sh -c 'mount --bind "$1" /var/run/wireguard && exec wireguard-go "$2"' sh "$dir" "$t" >/dev/null 2>&1 &
echo $! >"$dir.pid"
while [ ! -S "$dir/$t.sock" ]; do sleep 0.002; done
nsenter --mount=/proc/$(cat "$dir.pid")/ns/mnt -- wg setconf "$t" "$conf"
ip link set dev "$t" netns "$n"
ip -n "$n" -batch - <<EOF
link set dev $t name wg0
address add $v4/32 dev wg0
address add $v6/128 dev wg0 nodad
link set dev wg0 up
route add 0.0.0.0/0 dev wg0
route add ::/0 dev wg0
EOF
mkdir -p "/etc/netns/$n"
echo "nameserver $dns" >"/etc/netns/$n/resolv.conf"
ip netns exec "$n" true
`;

let scripted = 0;
function scriptArgv(name) {
  scripted += 1;
  const a = CLIENTS.script;
  return inHost(['sh', '-c', SCRIPT, 'sh', name, `nrbs${scripted}`, join(work, 'script.setconf'), join(work, `sock-${name}`), a.v4, a.v6, SERVER]);
}

function removeScripted(name) {
  const pidFile = join(work, `sock-${name}.pid`);
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
  if (pid > 0 && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    const end = Date.now() + 5_000;
    while (alive(pid) && Date.now() < end) sleepMs(5);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  tryRun(['ip', 'netns', 'delete', name]);
  rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  rmSync(join(work, `sock-${name}`), { recursive: true, force: true });
  rmSync(pidFile, { force: true });
}

function configure(name, keys) {
  mkdirSync(`/etc/netns-run/${name}`, { recursive: true, mode: 0o755 });
  writeFileSync(`/etc/netns-run/${name}/wg0.conf`, clientConfig(keys, 'netnsRun'), { mode: 0o600 });
  made.netnsRun.add(name);
}

function downNetnsRun(name) {
  run(inHost([BIN, '--down', name]));
  rmSync(`/etc/netns-run/${name}`, { recursive: true, force: true });
  rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  made.netnsRun.delete(name);
}

function links(name) {
  return JSON.parse(run(['ip', '-n', name, '-j', 'link', 'show'])).map((l) => l.ifname).sort().join(',');
}

/** What the VPN server's wireguard-go knows of its peers (no keys but the public ones), for a failure's message. */
function serverView() {
  const pid = made.children[0]?.pid;
  const show = (what) => spawnSync('nsenter', [`--mount=/proc/${pid}/ns/mnt`, `--net=/run/netns/${VPN}`, '--', 'wg', 'show', 'nrbsrv', what], { encoding: 'utf8' }).stdout?.trim();
  return ['latest-handshakes', 'endpoints', 'transfer'].map((what) => `${what}: ${show(what)}`).join('; ');
}

/** curl's own figures, so that start-up (netns-run's or ip netns exec's) is not in them: MB/s. */
function download(argv) {
  const result = spawnSync(argv[0], [...argv.slice(1), 'curl', '-sS', '--max-time', '60', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', `http://${SERVER}:8080/download`], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`download: ${argv.join(' ')} curl failed (${result.status ?? result.signal}): ${result.stderr.trim()}; the VPN server sees ${serverView()}`);
  const [size, seconds] = result.stdout.trim().split(' ').map(Number);
  if (size !== BYTES) throw new Error(`download: ${size} bytes, not ${BYTES}`);
  return size / seconds / 1e6;
}

const mark = (ok) => (ok ? 'pass' : 'FAIL');

try {
  const world = await makeWorld();
  // The script's wg setconf file: the wg-quick file without Address and DNS, as `wg-quick strip` would make it.
  const stripped = clientConfig(world.keys, 'script').split('\n').filter((line) => !/^(Address|DNS) =/.test(line)).join('\n');
  writeFileSync(join(work, 'script.setconf'), stripped, { mode: 0o600 });
  await waitFor('the download server', world.ready);

  // The first of each, untimed, also proves that each makes what it should.
  const check = (name, what) => {
    const seen = links(name);
    if (seen !== 'lo,wg0') throw new Error(`${what} made ${name} with links ${seen}, not lo,wg0`);
  };
  const coldNetnsRun = [];
  const coldScript = [];
  const nodeStart = [];
  for (let i = -1; i < RUNS; i += 1) {
    const a = `nrb-c-${ID}-${i + 1}`;
    configure(a, world.keys);
    const b = `nrb-s-${ID}-${i + 1}`;
    made.script.add(b);
    const viaNetnsRun = () => {
      const ms = timed(inHost([BIN, a, '--', 'true']));
      if (i < 0) check(a, 'netns-run');
      downNetnsRun(a);
      return ms;
    };
    const viaScript = () => {
      const ms = timed(scriptArgv(b));
      if (i < 0) check(b, 'the script');
      removeScripted(b);
      made.script.delete(b);
      return ms;
    };
    // In turn first and second, so that what the other left behind (a wireguard-go still ending) weighs on both alike.
    let msA;
    let msB;
    if (i % 2 === 0) {
      msA = viaNetnsRun();
      msB = viaScript();
    } else {
      msB = viaScript();
      msA = viaNetnsRun();
    }
    const msN = timed(['node', '-e', '0']);
    if (i >= 0) {
      coldNetnsRun.push(msA);
      coldScript.push(msB);
      nodeStart.push(msN);
    }
  }

  const d = `nrb-d-${ID}`;
  configure(d, world.keys);
  run(inHost([BIN, d, '--', 'true']));
  const e = `nrb-e-${ID}`;
  made.script.add(e);
  run(scriptArgv(e));
  // A first request each: the handshake, and proof that each goes through its own tunnel.
  run(inHost([BIN, d, '--', 'curl', '-sS', '--max-time', '10', `http://${SERVER}:8080/warm`]));
  run(['ip', 'netns', 'exec', e, 'curl', '-sS', '--max-time', '10', `http://${SERVER}:8080/warm`]);
  await waitFor('the server\'s log', () => world.log().includes(`request ${CLIENTS.netnsRun.v4} /warm`) && world.log().includes(`request ${CLIENTS.script.v4} /warm`));
  const viaNetnsRun = [];
  const viaScript = [];
  // netns-run's tunnel with curl started by ip netns exec: tells a slower tunnel from a slower curl.
  const tunnelOnly = [];
  for (let i = 0; i < DOWNLOADS; i += 1) {
    // In turn first and second, as above.
    const pair = [
      () => viaNetnsRun.push(download(inHost([BIN, d, '--']))),
      () => viaScript.push(download(['ip', 'netns', 'exec', e])),
      () => tunnelOnly.push(download(['ip', 'netns', 'exec', d])),
    ];
    if (i % 2 === 1) pair.reverse();
    for (const one of pair) one();
  }

  const cold = median(coldNetnsRun) / median(coldScript);
  const speed = median(viaNetnsRun) / median(viaScript);
  const version = run(['node', '--version']).trim();
  console.log(`\ntunnel: netns-run with a WireGuard file (wireguard-go) against the same steps by hand, in one world of namespaces made here; Node ${version}`);
  console.log(`${cpus().length} CPUs, Linux ${release()}, load average ${loadavg()[0].toFixed(2)}; NODE_EXTRA_CA_CERTS ${CA_CERTS ? 'taken out (sudo, pkexec and systemd never pass it)' : 'not set'}`);
  console.log(`cold, median of ${RUNS} (ms): netns-run first use ${median(coldNetnsRun).toFixed(1)}, script ${median(coldScript).toFixed(1)} (node -e 0 ${median(nodeStart).toFixed(1)}): ${cold.toFixed(2)}x, target <= 1.20x: ${mark(cold <= 1.2)}`);
  console.log(`download of ${BYTES / 1e6} MB, median of ${DOWNLOADS} (MB/s, curl's own time): through netns-run's tunnel ${median(viaNetnsRun).toFixed(1)}, through the script's ${median(viaScript).toFixed(1)}: ${speed.toFixed(2)}x, target >= 0.95x: ${mark(speed >= 0.95)}`);
  console.log(`  netns-run's tunnel with curl started by ip netns exec (not netns-run): ${median(tunnelOnly).toFixed(1)} MB/s, ${(median(tunnelOnly) / median(viaScript)).toFixed(2)}x the script's`);
} finally {
  cleanup();
}
