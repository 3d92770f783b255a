// [Forward]s against the real kernel, in a world of namespaces the test makes
// (support/world.ts): netns-run runs in the host stand-in H, NAME's only
// interfaces are lo and a WireGuard tunnel, so nothing routes between H and
// NAME and only the forwards can carry a connection. A Transmission-style
// daemon inside is reached on H's 127.0.0.1:9091 and [::1]:9091, a command
// inside reaches H's services, by TCP and UDP, v4 and v6.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertOneErrorLine, eventually, present, removeEverything } from '../support/kernel.js';
import { BIN, isRoot, NODE, runProgram, skipReason, trySh, withTestNode, type Result } from '../support/netns-run.js';
import { endWorld, makeWorld, worldName, type World } from '../support/world.js';
import { BINDER, RELAY, removeForwards } from '../../src/network/forwards.js';

/** HTTP on TCP PORT and a UDP echo on PORT+1, on 127.0.0.1 and ::1, each answering "LABEL ADDRESS-IT-WAS-REACHED-ON". */
const SERVICES = `
const [label, port] = process.argv.slice(1);
let ready = 0;
const up = () => { ready += 1; if (ready === 4) process.stdout.write('ready\\n'); };
for (const host of ['127.0.0.1', '::1']) {
  require('node:http').createServer((req, res) => res.end(label + ' ' + req.socket.localAddress + '\\n')).listen(Number(port), host, up);
  const udp = require('node:dgram').createSocket(host === '::1' ? 'udp6' : 'udp4');
  udp.on('message', (message, from) => udp.send(label + ' ' + host + ' ' + message, from.port, from.address));
  udp.bind(Number(port) + 1, host, up);
}
`;

/** Sends "ping" to ADDRESS PORT by UDP; prints the answer, or exits 1 after 3 s without one. */
const UDP_CLIENT = `
const [address, port] = process.argv.slice(1);
const socket = require('node:dgram').createSocket(address.includes(':') ? 'udp6' : 'udp4');
socket.on('message', (message) => { process.stdout.write(String(message) + '\\n'); process.exit(0); });
socket.send('ping', Number(port), address);
setTimeout(() => process.exit(1), 3000);
`;

const NETWORK_CONF = `# a daemon confined to the tunnel, reachable on the host; a host service inside
[Forward]
Direction = in
Listen = 127.0.0.1:9091
Connect = 127.0.0.1:9091

[Forward]
Direction = in
Listen = [::1]:9091
Connect = [::1]:9091

[Forward]
Direction = in
Protocol = udp
Listen = 127.0.0.1:9092
Connect = 127.0.0.1:9092

[Forward]
Direction = in
Protocol = udp
Listen = [::1]:9092
Connect = [::1]:9092

[Forward]
Direction = out
Listen = 127.0.0.1:3128
Connect = 127.0.0.1:3128

[Forward]
Direction = out
Listen = [::1]:3128
Connect = [::1]:3128

[Forward]
Direction = out
Protocol = udp
Listen = 127.0.0.1:3129
Connect = 127.0.0.1:3129

[Forward]
Direction = out
Protocol = udp
Listen = [::1]:3129
Connect = [::1]:3129
`;

/** A file the first use of NAME is handed open, as a caller's stray descriptor. */
const LEAK = `/tmp/nrf-leak-${process.pid}`;

interface StatusForward {
  forward: string;
  route: string;
  state: string;
  running: boolean;
  pid?: number;
  program?: string;
}

function procStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  const status = procStatus(pid);
  return status !== '' && !/^State:\s+Z/m.test(status);
}

/** The processes of the forwards of netns-run's (their tag in the environment) in the network namespace at NETNS. */
function forwardProcesses(netns: string): number[] {
  let ino: number;
  try {
    ino = statSync(netns).ino;
  } catch {
    return [];
  }
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      return statSync(`/proc/${pid}/ns/net`).ino === ino && readFileSync(`/proc/${pid}/environ`, 'latin1').includes('NETNS_RUN_FORWARD=') && alive(pid);
    } catch {
      return false;
    }
  });
}

const missing = ['wg', 'wireguard-go', 'dnsmasq', 'curl', 'nft', 'perl'].filter((tool) => trySh(`command -v ${tool}`).status !== 0);
const proxyd = ['/usr/lib/systemd/systemd-socket-proxyd', '/lib/systemd/systemd-socket-proxyd'].some(present);
if (!isRoot) {
  skipReason('forward tests need root (namespaces, wireguard-go)');
  test.skip('forwards (needs root)', () => {});
} else if (missing.length > 0 || !proxyd) {
  skipReason(`${[...missing, ...(proxyd ? [] : ['systemd-socket-proxyd'])].join(', ')} not installed (Debian: wireguard-tools, wireguard-go, dnsmasq-base, curl, nftables, perl-base, systemd)`);
  test.skip('forwards (tools missing)', () => {});
} else {
  let world: World;
  const children: ChildProcess[] = [];
  test.before(async () => {
    world = await makeWorld();
  });
  test.after(async () => {
    rmSync(LEAK, { force: true });
    for (const child of children) child.kill('SIGKILL');
    return endWorld(world);
  });

  function netnsRunInHost(args: readonly string[]): Promise<Result> {
    return runProgram('nsenter', [`--net=/run/netns/${world.host}`, '--', BIN, ...args], { env: withTestNode(), timeoutMs: 60_000 });
  }

  function inHost(file: string, args: readonly string[]): Promise<Result> {
    return runProgram('nsenter', [`--net=/run/netns/${world.host}`, '--', file, ...args], { timeoutMs: 20_000 });
  }

  /** Starts SERVICES in the network namespace NETNS, labelled LABEL; resolves once all four listen. */
  async function services(netns: string, label: string, port: number): Promise<ChildProcess> {
    const child = spawn('nsenter', [`--net=${netns}`, '--', NODE, '-e', SERVICES, label, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    assert.ok(await eventually(() => out.includes('ready'), 10_000), `${label} services did not start`);
    return child;
  }

  async function stopped(child: ChildProcess): Promise<void> {
    child.kill('SIGKILL');
    await eventually(() => child.exitCode !== null || child.signalCode !== null, 5_000);
  }

  /** NAME with its tunnel (wg0.conf) and NETWORK (network.conf); --down and every trace removed after BODY. */
  async function withName(network: string, body: (name: string) => Promise<void>): Promise<void> {
    const name = worldName('f');
    const dir = `/etc/netns-run/${name}`;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      writeFileSync(`${dir}/wg0.conf`, world.clientConfig(), { mode: 0o600 });
      writeFileSync(`${dir}/network.conf`, network, { mode: 0o644 });
      await body(name);
    } finally {
      await netnsRunInHost(['--down', name]);
      for (const pid of forwardProcesses(`/run/netns/${world.host}`)) process.kill(pid, 'SIGKILL');
      removeEverything(name);
      rmSync(dir, { recursive: true, force: true });
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    }
  }

  async function statusForwards(name: string): Promise<StatusForward[]> {
    const status = await netnsRunInHost(['--status', '--json', name]);
    assert.is(status.code, 0, status.stderr);
    return (JSON.parse(status.stdout) as { forwards: StatusForward[] }).forwards;
  }

  test('a tunnel-only namespace: its daemon on the host\'s 127.0.0.1:9091 and [::1]:9091, the host\'s services inside, TCP and UDP; undeclared ports absent; --down ends every forward', async () => {
    await withName(NETWORK_CONF, async (name) => {
      const host = `/run/netns/${world.host}`;
      const hostServices = await services(host, 'host', 3128);
      // First use with a descriptor of the caller's open (fd 200, not close-on-exec; Node marks only low ones): no forward may keep it.
      const leak = LEAK;
      const leakFd = openSync(leak, 'w');
      let first: Result;
      try {
        first = await new Promise<Result>((resolve) => {
          const child = spawn('nsenter', [`--net=${host}`, '--', BIN, name, '--', 'sh', '-c', 'ls /sys/class/net'], { env: withTestNode(), stdio: ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(197).fill('ignore'), leakFd] });
          let stdout = '';
          let stderr = '';
          child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
          child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
        });
      } finally {
        closeSync(leakFd);
      }
      assert.is(first.code, 0, first.stderr);
      assert.equal(first.stdout.trim().split('\n').sort(), ['lo', 'wg0'], 'the namespace has more than lo and its tunnel');

      // Every forward runs as nobody, no capability, no new privileges, in the namespace it connects from.
      const forwards = await statusForwards(name);
      assert.is(forwards.length, 8);
      for (const forward of forwards) {
        assert.ok(forward.state === 'made' && forward.running && forward.pid !== undefined, JSON.stringify(forward));
        const status = procStatus(forward.pid!);
        assert.match(status, /^Uid:\s+65534\s+65534\s+65534\s+65534$/m, forward.forward);
        assert.match(status, /^Gid:\s+65534\s+65534\s+65534\s+65534$/m, forward.forward);
        assert.match(status, /^Groups:\s*$/m, forward.forward);
        assert.match(status, /^CapEff:\s+0+$/m, forward.forward);
        assert.match(status, /^CapBnd:\s+0+$/m, forward.forward);
        assert.match(status, /^NoNewPrivs:\s+1$/m, forward.forward);
        assert.match(forward.program!, forward.forward.includes(' tcp ') ? /systemd-socket-proxyd$/ : /node$/);
        const fds = readdirSync(`/proc/${forward.pid}/fd`).map((fd) => readlinkSync(`/proc/${forward.pid}/fd/${fd}`));
        assert.not.ok(fds.includes(leak), `${forward.forward} kept the caller's descriptor: ${fds.join(' ')}`);
      }
      const inward = forwards.filter((f) => f.forward.startsWith('in ')).map((f) => f.pid!).sort();
      const outward = forwards.filter((f) => f.forward.startsWith('out ')).map((f) => f.pid!).sort();
      assert.equal(forwardProcesses(`/run/netns/${name}`).sort(), inward, 'the inward forwards run inside');
      assert.equal(forwardProcesses(host).sort(), outward, 'the outward forwards run in the host stand-in');

      // Declared, but nobody listens inside yet: the client's connection fails at once, the forward goes on.
      const early = await inHost('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:9091/']);
      assert.is.not(early.code, 0, `curl succeeded with nothing listening: ${early.stdout}`);
      assert.is.not(early.code, 28, 'curl timed out instead of being refused');
      assert.ok(inward.every(alive), 'a forward ended when its target refused');

      const daemon = await services(`/run/netns/${name}`, 'inside', 9091);
      for (const url of ['http://127.0.0.1:9091/', 'http://[::1]:9091/']) {
        const got = await inHost('curl', ['-sS', '--max-time', '5', url]);
        assert.is(got.code, 0, `${url}: ${got.stderr}`);
        assert.is(got.stdout.trim(), `inside ${url.includes('[') ? '::1' : '127.0.0.1'}`, url);
      }
      for (const address of ['127.0.0.1', '::1']) {
        const got = await inHost(NODE, ['-e', UDP_CLIENT, address, '9092']);
        assert.is(got.code, 0, `udp ${address}:9092 had no answer: ${got.stderr}`);
        assert.is(got.stdout.trim(), `inside ${address} ping`);
      }
      // A command inside, through netns-run, reaches the host's services.
      const inside = await netnsRunInHost([name, '--', 'sh', '-c', `curl -sS --max-time 5 http://127.0.0.1:3128/ && curl -sS --max-time 5 'http://[::1]:3128/' && "$0" -e "$1" 127.0.0.1 3129 && "$0" -e "$1" ::1 3129`, NODE, UDP_CLIENT]);
      assert.is(inside.code, 0, inside.stderr);
      assert.equal(inside.stdout.trim().split('\n'), ['host 127.0.0.1', 'host ::1', 'host 127.0.0.1 ping', 'host ::1 ping']);

      // Ports no [Forward] declares are not there, on either side.
      for (const url of ['http://127.0.0.1:9093/', 'http://127.0.0.1:3130/', 'http://[::1]:9093/']) {
        const got = await inHost('curl', ['-sS', '--max-time', '5', url]);
        assert.is(got.code, 7, `${url}: ${got.stdout}${got.stderr}`);
      }
      // A host service on a port no [Forward] names is out of reach inside.
      const other = await services(host, 'other', 5000);
      const undeclared = await netnsRunInHost([name, '--', 'curl', '-sS', '--max-time', '5', 'http://127.0.0.1:5000/']);
      assert.is(undeclared.code, 7, `inside, an undeclared host port answered: ${undeclared.stdout}`);
      await stopped(other);

      // The daemon gone: refused again, and back once it is.
      await stopped(daemon);
      const gone = await inHost('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:9091/']);
      assert.ok(gone.code !== 0 && gone.code !== 28, `curl with the daemon gone: ${gone.code} ${gone.stdout}`);
      const again = await services(`/run/netns/${name}`, 'inside', 9091);
      const back = await inHost('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:9091/']);
      assert.is(back.stdout.trim(), 'inside 127.0.0.1', back.stderr);

      const down = await netnsRunInHost(['--down', name]);
      assert.is(down.code, 0, down.stderr);
      assert.ok(await eventually(() => [...inward, ...outward].every((pid) => !alive(pid)), 5_000), 'a forward outlived --down');
      assert.equal(forwardProcesses(host), []);
      assert.not.ok(present(`/run/netns-run/${name}`), 'state left after --down');
      const after = await inHost('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:9091/']);
      assert.is(after.code, 7, 'the host port still answers after --down');
      await stopped(again);
      await stopped(hostServices);
    });
  });

  test('a forward that cannot listen (the port is taken): one line with the file and line, nothing made', async () => {
    const taken = NETWORK_CONF + '\n[Forward]\nDirection = in\nListen = 127.0.0.1:4000\nConnect = 127.0.0.1:4000\n';
    await withName(taken, async (name) => {
      const host = `/run/netns/${world.host}`;
      const holder = await services(host, 'holder', 4000);
      const result = await netnsRunInHost([name, '--', 'true']);
      assertOneErrorLine(result, 125, 'a taken port');
      assert.match(result.stderr, new RegExp(`/etc/netns-run/${name}/network\\.conf:${NETWORK_CONF.split('\n').length + 1}: the forward in tcp 127\\.0\\.0\\.1:4000 -> 127\\.0\\.0\\.1:4000 could not be started: cannot listen on 127\\.0\\.0\\.1 port 4000: Address already in use`));
      assert.not.ok(present(`/run/netns/${name}`), 'a namespace was left');
      // The tunnel's rollback leaves its two empty view directories (wireguard.ts); nothing of the forwards may stay.
      const left = trySh(`find /run/netns-run/${name} -mindepth 1 -not -name 'wireguard*'`).stdout.trim();
      assert.is(left, '', `left in the state directory: ${left}`);
      assert.ok(await eventually(() => forwardProcesses(host).length === 0, 5_000), `forwards left: ${forwardProcesses(host).join(' ')}`);
      // wireguard-go ends a moment after its interface has gone.
      const only = (pids: number[]) => pids.length === 1 && pids[0] === holder.pid;
      assert.ok(await eventually(() => only(world.hostProcesses()), 5_000), `processes left in the host stand-in: ${world.hostProcesses().join(' ')} (the holder is ${holder.pid}): ${world.hostProcesses().map((pid) => trySh(`ps -o pid,user,args -p ${pid} | tail -1`).stdout.trim()).join('; ')}`);
      await stopped(holder);
    });
  });

  test('--ensure after an edit: the old forward ends, the new one runs; a file without forwards leaves none', async () => {
    const one = '[Forward]\nDirection = in\nListen = 127.0.0.1:7100\nConnect = 127.0.0.1:7000\n';
    await withName(one, async (name) => {
      const host = `/run/netns/${world.host}`;
      assert.is((await netnsRunInHost([name, '--', 'true'])).code, 0);
      const [before] = await statusForwards(name);
      assert.ok(before?.running, JSON.stringify(before));
      writeFileSync(`/etc/netns-run/${name}/network.conf`, one.replace('7100', '7101'), { mode: 0o644 });
      const ensured = await netnsRunInHost(['--ensure', name]);
      assert.is(ensured.code, 0, ensured.stderr);
      assert.ok(await eventually(() => !alive(before!.pid!), 5_000), 'the old forward still runs');
      const after = await statusForwards(name);
      assert.equal(after.map((f) => [f.forward, f.running]), [['in tcp 127.0.0.1:7101 -> 127.0.0.1:7000', true]]);
      assert.is((await inHost('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:7100/'])).code, 7, 'the old port still listens');
      writeFileSync(`/etc/netns-run/${name}/network.conf`, '# nothing forwarded\n', { mode: 0o644 });
      assert.is((await netnsRunInHost(['--ensure', name])).code, 0);
      assert.equal(await statusForwards(name), []);
      assert.ok(await eventually(() => forwardProcesses(`/run/netns/${name}`).length === 0 && forwardProcesses(host).length === 0, 5_000), 'a forward outlived the edit');
    });
  });

  test('--down after a crash cut a record short of its PID: the process is found by its tag and ended; one with another tag, or a reused PID, is left alone', async () => {
    const state = `/tmp/nrf-crash-${process.pid}`;
    const tag = 'a'.repeat(16);
    const sleeper = (t: string) => spawn('sleep', ['60'], { env: { NETNS_RUN_FORWARD: t }, stdio: 'ignore' });
    const cut = sleeper(tag);
    const other = sleeper('b'.repeat(16));
    const reused = sleeper('c'.repeat(16));
    children.push(cut, other, reused);
    try {
      mkdirSync(`${state}/forwards`, { recursive: true });
      const record = { direction: 'in', protocol: 'tcp', listen: { family: 4, address: '127.0.0.1', port: 1 }, connect: { family: 4, address: '127.0.0.1', port: 1 }, line: 1, program: '/bin/sleep' };
      writeFileSync(`${state}/forwards/0.json`, JSON.stringify({ ...record, tag }));
      // The PID of a live process, but another start time: the PID was reused.
      writeFileSync(`${state}/forwards/1.json`, JSON.stringify({ ...record, tag: 'c'.repeat(16), pid: reused.pid, startTime: '1' }));
      assert.ok(await eventually(() => readFileSync(`/proc/${cut.pid}/environ`, 'latin1').includes(tag), 5_000));
      const notes: string[] = [];
      removeForwards({ paths: { networkState: state } as never, notes });
      assert.equal(notes, []);
      assert.ok(await eventually(() => cut.exitCode !== null || cut.signalCode !== null, 5_000), 'the process of the cut record still runs');
      assert.ok(alive(other.pid!), 'a process with another tag was ended');
      assert.ok(alive(reused.pid!), 'a process whose PID a record names, but not its start time, was ended');
      assert.not.ok(present(`${state}/forwards`), 'the records are left');
    } finally {
      for (const child of [cut, other, reused]) child.kill('SIGKILL');
      rmSync(state, { recursive: true, force: true });
    }
  });

  /** A client namespace joined to H by a veth, as a machine of the LAN: 192.0.2.2 and 2001:db8:1::2, H being .1 and ::1 there. */
  function withClient(): { name: string; close(): void } {
    const name = `nrf-c-${process.pid}`;
    const inH = ['-n', world.host];
    trySh(`ip netns add ${name}`);
    const lines = [
      `ip ${inH.join(' ')} link add nrf-hc type veth peer name c0 netns /run/netns/${name}`,
      `ip ${inH.join(' ')} address add 192.0.2.1/24 dev nrf-hc`,
      `ip ${inH.join(' ')} address add 2001:db8:1::1/64 dev nrf-hc nodad`,
      `ip ${inH.join(' ')} link set nrf-hc up`,
      `ip -n ${name} link set lo up`,
      `ip -n ${name} address add 192.0.2.2/24 dev c0`,
      `ip -n ${name} address add 2001:db8:1::2/64 dev c0 nodad`,
      `ip -n ${name} link set c0 up`,
      `ip -n ${name} route add default via 192.0.2.1`,
      `ip -n ${name} -6 route add default via 2001:db8:1::1`,
    ];
    const close = () => {
      trySh(`ip ${inH.join(' ')} link delete nrf-hc`);
      trySh(`ip netns delete ${name}`);
    };
    const made = trySh(lines.join(' && '));
    if (made.status !== 0) {
      close();
      throw new Error(`the client namespace: ${made.stderr}`);
    }
    return { name, close };
  }

  /** TCP on PORT and a UDP echo on PORT+1 at ADDRESSES, answering "inside CLIENT-ADDRESS". */
  const PEER_SERVICES = `
const [port, ...addresses] = process.argv.slice(1);
let ready = 0;
const up = () => { ready += 1; if (ready === addresses.length * 2) process.stdout.write('ready\\n'); };
for (const host of addresses) {
  require('node:net').createServer((c) => c.end('inside ' + c.remoteAddress + '\\n')).listen(Number(port), host, up);
  const udp = require('node:dgram').createSocket(host.includes(':') ? 'udp6' : 'udp4');
  udp.on('message', (message, from) => udp.send('inside ' + from.address, from.port, from.address));
  udp.bind(Number(port) + 1, host, up);
}
`;
  const TCP_CLIENT = `
const [address, port] = process.argv.slice(1);
const c = require('node:net').connect(Number(port), address);
let got = ''; c.on('data', (d) => (got += d)); c.on('end', () => { process.stdout.write(got); process.exit(0); });
c.on('error', (e) => { process.stderr.write(e.message + '\\n'); process.exit(1); });
setTimeout(() => process.exit(1), 3000);
`;

  const DNAT_CONF = `# the tunnel keeps the default route; the LAN is routed back over the veth
[Veth]
Name = ve0
Address = 10.251.0.2/30
Address = fd51::2/64
PeerAddress = 10.251.0.1/30
PeerAddress = fd51::1/64
HostIPv6Forwarding = yes

[Route]
Destination = 192.0.2.0/24
Gateway = 10.251.0.1

[Route]
Destination = 2001:db8:1::/64
Gateway = fd51::1

[Forward]
Direction = in
Listen = 192.0.2.1:8080
Connect = 10.251.0.2:9000

[Forward]
Direction = in
Protocol = udp
Listen = 192.0.2.1:8081
Connect = 10.251.0.2:9001

[Forward]
Direction = in
Listen = [2001:db8:1::1]:8080
Connect = [fd51::2]:9000

[Forward]
Direction = in
Protocol = udp
Listen = [2001:db8:1::1]:8081
Connect = [fd51::2]:9001
`;

  test('a namespace with a veth to the host: forwards in go by DNAT, TCP and UDP, v4 and v6, keep the client\'s address, run no process, and are gone after --down', async () => {
    const client = withClient();
    try {
      await withName(DNAT_CONF, async (name) => {
        const host = `/run/netns/${world.host}`;
        const sysctl = (path: string) => trySh(`nsenter --net=${host} cat /proc/sys/net/${path}`).stdout.trim();
        const before = [sysctl('ipv4/conf/nrf-hc/forwarding'), sysctl('ipv6/conf/all/forwarding')];
        const first = await netnsRunInHost([name, '--', 'true']);
        assert.is(first.code, 0, first.stderr);
        const forwards = await statusForwards(name);
        assert.equal(forwards.map((f) => [f.route, f.state, f.running, f.pid]), Array(4).fill(['dnat', 'made', true, undefined]));
        assert.equal([...forwardProcesses(host), ...forwardProcesses(`/run/netns/${name}`)], [], 'a DNAT forward runs a process');
        const table = trySh(`nsenter --net=${host} nft list table inet netns-run-${name}`).stdout;
        assert.match(table, /ip daddr 192\.0\.2\.1 tcp dport 8080 dnat ip to 10\.251\.0\.2:9000/);
        const inside = spawn('nsenter', [`--net=/run/netns/${name}`, '--', NODE, '-e', PEER_SERVICES, '9000', '10.251.0.2', 'fd51::2'], { stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(inside);
        let out = '';
        inside.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
        assert.ok(await eventually(() => out.includes('ready'), 10_000), 'the services inside did not start');
        const from = (ns: string, program: string, address: string, port: number) =>
          runProgram('nsenter', [`--net=/run/netns/${ns}`, '--', NODE, '-e', program, address, String(port)], { timeoutMs: 10_000 });
        // A machine of the LAN: its own address reaches the service, by TCP and UDP, v4 and v6.
        for (const [address, seen] of [['192.0.2.1', '192.0.2.2'], ['2001:db8:1::1', '2001:db8:1::2']] as const) {
          const tcp = await from(client.name, TCP_CLIENT, address, 8080);
          assert.is(tcp.stdout.trim(), `inside ${seen}`, `tcp ${address}: ${tcp.stderr}`);
          const udp = await from(client.name, UDP_CLIENT, address, 8081);
          assert.is(udp.stdout.trim(), `inside ${seen}`, `udp ${address}: ${udp.stderr}`);
        }
        // The host's own clients (output chain), answered over the veth although the tunnel has the default route.
        const local = await from(world.host, TCP_CLIENT, '192.0.2.1', 8080);
        assert.is(local.stdout.trim(), 'inside 10.251.0.1', local.stderr);
        const localUdp = await from(world.host, UDP_CLIENT, '2001:db8:1::1', 8081);
        assert.is(localUdp.stdout.trim(), 'inside fd51::1', localUdp.stderr);

        const down = await netnsRunInHost(['--down', name]);
        assert.is(down.code, 0, down.stderr);
        await stopped(inside);
        assert.is(trySh(`nsenter --net=${host} nft list table inet netns-run-${name}`).status, 1, 'the table outlived --down');
        assert.equal([sysctl('ipv4/conf/nrf-hc/forwarding'), sysctl('ipv6/conf/all/forwarding')], before, 'a forwarding switch was not put back');
        const after = await from(client.name, TCP_CLIENT, '192.0.2.1', 8080);
        assert.is.not(after.code, 0, `the port still answers after --down: ${after.stdout}`);
      });
    } finally {
      client.close();
    }
  });

  test('a DNAT forward on an address the host does not have: one line with the file and line, nothing made', async () => {
    const conf = DNAT_CONF.replace('Listen = 192.0.2.1:8080', 'Listen = 192.0.2.99:8080');
    await withName(conf, async (name) => {
      const result = await netnsRunInHost([name, '--', 'true']);
      assertOneErrorLine(result, 125, 'a listen address the host lacks');
      assert.match(result.stderr, new RegExp(`network\\.conf:${conf.split('\n').indexOf('Listen = 192.0.2.99:8080') - 1}: Listen=192\\.0\\.2\\.99:8080 is no address of the host's`));
      assert.not.ok(present(`/run/netns/${name}`), 'a namespace was left');
      assert.is(trySh(`nsenter --net=/run/netns/${world.host} nft list table inet netns-run-${name}`).status, 1, 'the table was left');
    });
  });

  test('a proxy that dies: --status says dead, the next --ensure and the next run start it again', async () => {
    const one = '[Forward]\nDirection = in\nListen = 127.0.0.1:7200\nConnect = 127.0.0.1:7000\n';
    await withName(one, async (name) => {
      assert.is((await netnsRunInHost([name, '--', 'true'])).code, 0);
      const daemon = await services(`/run/netns/${name}`, 'inside', 7000);
      for (const restart of [['--ensure', name], [name, '--', 'true']]) {
        const [before] = await statusForwards(name);
        assert.ok(before?.running && before.route === 'proxy', JSON.stringify(before));
        process.kill(before!.pid!, 'SIGKILL');
        assert.ok(await eventually(() => !alive(before!.pid!), 5_000));
        const [dead] = await statusForwards(name);
        assert.equal([dead!.state, dead!.running], ['dead', false], JSON.stringify(dead));
        const text = await netnsRunInHost(['--status', name]);
        assert.match(text.stdout, /in tcp 127\.0\.0\.1:7200 -> 127\.0\.0\.1:7000: dead \(systemd-socket-proxyd, pid \d+ is gone\); the next run or --ensure starts it again/);
        const again = await netnsRunInHost(restart);
        assert.is(again.code, 0, again.stderr);
        const [after] = await statusForwards(name);
        assert.ok(after?.running && after.pid !== before!.pid, `${restart.join(' ')}: ${JSON.stringify(after)}`);
        assert.match(procStatus(after!.pid!), /^Uid:\s+65534\s/m);
        const got = await inHost('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:7200/']);
        assert.is(got.stdout.trim(), 'inside 127.0.0.1', `${restart.join(' ')}: ${got.stderr}`);
      }
      await stopped(daemon);
    });
  });

  test('the relay carries TCP where systemd-socket-proxyd is missing: both ways of a connection, a refused target closes the client\'s, the relay goes on', async () => {
    const host = `/run/netns/${world.host}`;
    const target = await services(host, 'target', 6000);
    // As netns-run starts it, minus the namespaces: perl binds 127.0.0.1:6100 and execs the relay as nobody.
    const relay = (port: number, to: number) => spawn('nsenter', [`--net=${host}`, '--', 'perl', '-e', BINDER, 'tcp', '4', '127.0.0.1', String(port),
      'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', NODE, '-e', RELAY, 'tcp', '4', '127.0.0.1', String(to)], { stdio: 'ignore' });
    const good = relay(6100, 6000);
    const refused = relay(6101, 6999);
    children.push(good, refused);
    try {
      // setpriv's arguments hold RELAY too: the relay runs once it is nobody's node.
      const relaying = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(RELAY) && /^Uid:\s+65534\s/m.test(procStatus(pid));
      assert.ok(await eventually(() => relaying(good.pid!) && relaying(refused.pid!), 10_000), 'the relays did not start');
      // Listening already when perl execs: no wait for the relay's start-up.
      const body = 'x'.repeat(100_000);
      const got = await inHost('curl', ['-sS', '--max-time', '10', '--data-binary', body, 'http://127.0.0.1:6100/']);
      assert.is(got.stdout.trim(), 'target 127.0.0.1', got.stderr);
      const no = await inHost('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:6101/']);
      assert.ok(no.code !== 0 && no.code !== 28, `curl through a relay to nothing: ${no.code} ${no.stdout}`);
      assert.ok(alive(refused.pid!), 'the relay ended when its target refused');
      assert.match(procStatus(refused.pid!), /^Uid:\s+65534\s/m);
    } finally {
      await stopped(good);
      await stopped(refused);
      await stopped(target);
    }
  });

  test.run();
}
