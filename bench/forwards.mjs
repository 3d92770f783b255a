#!/usr/bin/env node
// npm run bench: the [Forward]s of network.conf (issue 15) against direct
// connections taken in the same run. netns-run runs in a namespace standing
// in for the host (H) and makes NAME, which has lo and a veth to H: the
// forwards on loopback go through the proxy (nothing routes between the two
// loopbacks), one forward to the veth's address by DNAT. For each forward:
// 100 MB downloads (throughput) and request/answer round trips on fresh
// connections (connect latency), through the forward and directly (client
// and server on one side, at the service's own address; for DNAT the same
// client reaching the service over the same veth, routed without NAT);
// UDP forwards: round trips. The download client reads into one 1 MiB
// buffer (net's onread), fast enough (~2.4 GB/s on loopback here) that the
// forward, not the client, sets the pace. Targets: >= 0.85x the direct
// throughput, <= +0.5 ms a connection. Prints pass/FAIL; exits 0 whatever
// the numbers say (it fails only if something it runs fails). Run as root.
// Environment:
//   NETNS_RUN_BENCH_RUNS   downloads per row and side (default 5)
//   NETNS_RUN_BENCH_CONNS  connections per latency round (default 300)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BINDER, RELAY } from '../dist/src/network/forwards.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'bin', 'netns-run');
const RUNS = Number(process.env.NETNS_RUN_BENCH_RUNS || 5);
const CONNS = Number(process.env.NETNS_RUN_BENCH_CONNS || 300);
const MB = 100;

if (process.geteuid() !== 0) {
  console.error('bench: run it as root (it makes network namespaces)');
  process.exit(1);
}

// A download source on PORT, a one-byte echo on PORT+1 (TCP), a UDP echo on PORT+2; on ADDRESSES (default 127.0.0.1 and ::1).
const SERVER = `
const net = require('node:net'), dgram = require('node:dgram');
const [first, ...given] = process.argv.slice(1); const hosts = given.length > 0 ? given : ['127.0.0.1', '::1'];
const port = Number(first); const chunk = Buffer.alloc(1 << 20, 120); let up = 0;
const ready = () => { if (++up === hosts.length * 3) process.stdout.write('ready\\n'); };
for (const host of hosts) {
  net.createServer((c) => { c.on('error', () => {}); let left = ${MB}; const go = () => { while (left > 0) { left--; if (!c.write(chunk)) return c.once('drain', go); } c.end(); }; go(); }).listen(port, host, ready);
  net.createServer((c) => { c.on('error', () => {}); c.on('data', (d) => c.end(d)); }).listen(port + 1, host, ready);
  const u = dgram.createSocket(host === '::1' ? 'udp6' : 'udp4'); u.on('message', (m, f) => u.send(m, f.port, f.address)); u.bind(port + 2, host, ready);
}`;

// tput HOST PORT: MB/s of one download. lat HOST PORT N: ms a fresh connection with one round trip. ulat HOST PORT N: ms a UDP round trip.
const CLIENT = `
const net = require('node:net'), dgram = require('node:dgram');
const [mode, host, port, count] = process.argv.slice(1);
const now = () => Number(process.hrtime.bigint()) / 1e6;
if (mode === 'tput') {
  // One buffer of 1 MiB read into again and again: a 'data' event a 64 KiB chunk caps Node near 450 MB/s here, below what a forward carries.
  const t0 = now(); let n = 0; const c = net.connect({ port: Number(port), host, onread: { buffer: Buffer.alloc(1 << 20), callback: (k) => { n += k; } } });
  c.on('end', () => { if (n !== ${MB} * 1048576) { console.error('short download ' + n); process.exit(1); } console.log(String(n / 1e6 / ((now() - t0) / 1000))); });
  c.on('error', (e) => { console.error(e.message); process.exit(1); });
} else if (mode === 'lat') {
  let left = Number(count); const t0 = now();
  const one = () => { if (left-- === 0) return console.log(String((now() - t0) / Number(count)));
    const c = net.connect(Number(port), host, () => c.write('x')); c.once('data', () => { c.destroy(); one(); }); c.on('error', (e) => { console.error(e.message); process.exit(1); }); };
  one();
} else {
  const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4'); let left = Number(count); const t0 = now();
  u.on('message', () => { if (--left === 0) { console.log(String((now() - t0) / Number(count))); process.exit(0); } u.send('x', Number(port), host); });
  u.send('x', Number(port), host); setTimeout(() => { console.error('udp: no answer'); process.exit(1); }, 20000);
}`;

const host = `nrf-bench-h-${process.pid}`;
// Not a forward of network.conf: netns-run's relay started as netns-run would start it for TCP without
// systemd-socket-proxyd, on 9110 (+1), to weigh the choice of carrier in the same run.
const RELAY_ROW = { label: 'in  tcp 127.0.0.1 relay', from: 'host', to: 'inside', address: '127.0.0.1', port: 9110, direct: 9200 };
const name = `nrf-bench-n-${process.pid}`;
const confDir = `/etc/netns-run/${name}`;
const children = [];

function run(file, args) {
  const result = spawnSync(file, args, { encoding: 'utf8', env: { ...process.env, PATH: `${join(process.execPath, '..')}:${process.env.PATH}` } });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ').slice(0, 200)} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

const inNs = (ns, file, args) => run('nsenter', [`--net=/run/netns/${ns}`, '--', file, ...args]);
const client = (ns, ...args) => Number(inNs(ns, process.execPath, ['-e', CLIENT, ...args.map(String)]).trim());

async function server(ns, port, ...addresses) {
  const child = spawn('nsenter', [`--net=/run/netns/${ns}`, '--', process.execPath, '-e', SERVER, String(port), ...addresses], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => String(d).includes('ready') && resolve());
    child.on('exit', () => reject(new Error(`the server in ${ns} ended`)));
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function cleanUp() {
  for (const child of children) child.kill('SIGKILL');
  spawnSync('nsenter', [`--net=/run/netns/${host}`, '--', BIN, '--down', name], { stdio: 'ignore', env: { ...process.env, PATH: `${join(process.execPath, '..')}:${process.env.PATH}` } });
  spawnSync('ip', ['netns', 'delete', host]);
  rmSync(confDir, { recursive: true, force: true });
  rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
}

// Each row: a forward, where its client and its server are, and where the direct client is (beside the server).
// The DNAT row: NAME's veth to H (10.252.0.2, H's end 10.252.0.1); a client of H's own through the forward, against the same
// client reaching the service's own address over the same veth, routed without NAT: what DNAT itself costs.
const VETH = '[Veth]\nName = ve0\nAddress = 10.252.0.2/30\nPeerAddress = 10.252.0.1/30\n';
const ROWS = [
  { label: 'in  tcp 127.0.0.1', conf: ['in', 'tcp', '127.0.0.1:9100', '127.0.0.1:9200'], from: 'host', to: 'inside', address: '127.0.0.1', port: 9100, direct: 9200 },
  { label: 'in  tcp DNAT (veth)', conf: ['in', 'tcp', '10.252.0.1:9120', '10.252.0.2:9220'], from: 'host', to: 'inside', address: '10.252.0.1', port: 9120, directAddress: '10.252.0.2', directFrom: 'host', direct: 9220 },
  { label: 'in  tcp [::1]', conf: ['in', 'tcp', '[::1]:9100', '[::1]:9200'], from: 'host', to: 'inside', address: '::1', port: 9100, direct: 9200 },
  { label: 'out tcp 127.0.0.1', conf: ['out', 'tcp', '127.0.0.1:9400', '127.0.0.1:9300'], from: 'inside', to: 'host', address: '127.0.0.1', port: 9400, direct: 9300 },
  { label: 'in  udp 127.0.0.1', conf: ['in', 'udp', '127.0.0.1:9102', '127.0.0.1:9202'], from: 'host', to: 'inside', address: '127.0.0.1', port: 9102, direct: 9202, udp: true },
  { label: 'out udp [::1]', conf: ['out', 'udp', '[::1]:9402', '[::1]:9302'], from: 'inside', to: 'host', address: '::1', port: 9402, direct: 9302, udp: true },
];
// The echo ports of the TCP rows: PORT+1 on both ends.
const echoRows = ROWS.filter((row) => !row.udp).map((row) => ({ ...row, conf: [row.conf[0], 'tcp', row.conf[2].replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`), row.conf[3].replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`)] }));

try {
  run('ip', ['netns', 'add', host]);
  run('ip', ['-n', host, 'link', 'set', 'lo', 'up']);
  mkdirSync(confDir, { recursive: true, mode: 0o755 });
  const sections = [...ROWS, ...echoRows].map(({ conf: [direction, protocol, listen, connect] }) => `[Forward]\nDirection = ${direction}\nProtocol = ${protocol}\nListen = ${listen}\nConnect = ${connect}\n`);
  writeFileSync(`${confDir}/network.conf`, [VETH, ...sections].join('\n'), { mode: 0o644 });
  const made = Date.now();
  inNs(host, BIN, [name, '--', 'true']);
  const madeMs = Date.now() - made;
  await server(name, 9200);
  await server(name, 9220, '10.252.0.2');
  await server(host, 9300);
  for (const [listen, to] of [[9110, 9200], [9111, 9201]]) {
    const relay = spawn('nsenter', [`--net=/run/netns/${host}`, '--', 'perl', '-e', BINDER, 'tcp', '4', '127.0.0.1', String(listen), 'nsenter', `--net=/run/netns/${name}`, '--',
      'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, '-e', RELAY, 'tcp', '4', '127.0.0.1', String(to)], { stdio: 'ignore' });
    children.push(relay);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const side = (where) => (where === 'host' ? host : name);

  console.log(`forwards: ${cpus().length} CPUs, load ${loadavg()[0].toFixed(1)}; ${RUNS} downloads of ${MB} MB and ${CONNS} connections a row and side, medians; first use with ${sections.length} forwards took ${madeMs} ms`);
  console.log('forward                 | through          | direct           | ratio / extra | target');
  let failures = 0;
  for (const row of [...ROWS.slice(0, 1), RELAY_ROW, ...ROWS.slice(1)]) {
    const nsFrom = side(row.from);
    const nsServer = side(row.to);
    // Where the direct client runs: beside the server (the same loopback), or for DNAT on the host, over the veth.
    const nsDirect = side(row.directFrom ?? row.to);
    const directAddress = row.directAddress ?? row.address;
    if (row.udp) {
      const through = [];
      const direct = [];
      for (let i = 0; i < 3; i += 1) {
        through.push(client(nsFrom, 'ulat', row.address, row.port, CONNS));
        direct.push(client(nsServer, 'ulat', directAddress, row.direct, CONNS));
      }
      const extra = median(through) - median(direct);
      const ok = extra <= 0.5;
      failures += ok ? 0 : 1;
      console.log(`${row.label.padEnd(23)} | ${`${median(through).toFixed(3)} ms/rt`.padEnd(16)} | ${`${median(direct).toFixed(3)} ms/rt`.padEnd(16)} | ${`+${extra.toFixed(3)} ms`.padEnd(13)} | ${ok ? 'pass' : 'FAIL'} (<= +0.5 ms)`);
      continue;
    }
    const through = [];
    const direct = [];
    for (let i = 0; i < RUNS; i += 1) {
      through.push(client(nsFrom, 'tput', row.address, row.port));
      direct.push(client(nsDirect, 'tput', directAddress, row.direct));
    }
    const ratio = median(through) / median(direct);
    const tputOk = ratio >= 0.85;
    const lThrough = [];
    const lDirect = [];
    for (let i = 0; i < 3; i += 1) {
      lThrough.push(client(nsFrom, 'lat', row.address, row.port + 1, CONNS));
      lDirect.push(client(nsDirect, 'lat', directAddress, row.direct + 1, CONNS));
    }
    const extra = median(lThrough) - median(lDirect);
    const latOk = extra <= 0.5;
    failures += (tputOk ? 0 : 1) + (latOk ? 0 : 1);
    console.log(`${row.label.padEnd(23)} | ${`${median(through).toFixed(0)} MB/s`.padEnd(16)} | ${`${median(direct).toFixed(0)} MB/s`.padEnd(16)} | ${`${ratio.toFixed(2)}x`.padEnd(13)} | ${tputOk ? 'pass' : 'FAIL'} (>= 0.85x)`);
    console.log(`${''.padEnd(23)} | ${`${median(lThrough).toFixed(3)} ms/conn`.padEnd(16)} | ${`${median(lDirect).toFixed(3)} ms/conn`.padEnd(16)} | ${`+${extra.toFixed(3)} ms`.padEnd(13)} | ${latOk ? 'pass' : 'FAIL'} (<= +0.5 ms)`);
  }
  console.log(failures === 0 ? 'forwards: pass' : `forwards: FAIL (${failures} of the targets missed)`);
} finally {
  cleanUp();
}
