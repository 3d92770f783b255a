// A small internet made only of namespaces the test makes, so that tunnel
// tests never send a packet anywhere else:
//
//   host stand-in (H) --veth-- internet (I) --veth-- VPN server (V)
//   10.201.0.2            10.201.0.1 | 10.202.0.1      10.202.0.2
//                         10.203.0.10 on lo:           wireguard-go nrwsrv
//                         web server :80 (answers      10.99.0.1/24 fd99::1/64
//                         with the client's address)   forwarding + masquerade
//                         dnsmasq :53 (ifconfig.me)    to I
//
// netns-run runs in H (nsenter --net: the same mount namespace, so what it
// binds under /run/netns and /run/netns-run/NAME is the real thing), and makes
// NAME's tunnel there; its endpoint is V at 10.202.0.2:51820. Through the
// tunnel the web server sees 10.202.0.2 (V's masquerade); straight from H it
// would see 10.201.0.2. Everything is removed by close(), which tests call
// from finally blocks, also after a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { KEYS } from './wg-samples.js';

export const WEB = '10.203.0.10';
export const HOST_ADDRESS = '10.201.0.2';
export const VPN_ADDRESS = '10.202.0.2';
export const VPN_PORT = 51820;
export const CLIENT_V4 = '10.99.0.2';
export const CLIENT_V6 = 'fd99::2';

let counter = 0;
/**
 * A fresh name for a namespace of the world or a target: nrw-TAG-PID-N.
 * Not nrt-*: the suite's leak sweep removes every nrt-* namespace, and
 * other suites running on the same machine would pull the world away.
 */
export function worldName(tag: string): string {
  counter += 1;
  return `nrw-${tag}-${process.pid}-${counter}`;
}

/** A process that has ended but is not yet reaped still shows in /proc. */
function isZombie(pid: number): boolean {
  try {
    return /^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Runs a command (no shell) as root; throws with its stderr. */
export function run(file: string, args: readonly string[], input?: string): string {
  const result = spawnSync(file, [...args], { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr.trim()}`);
  return result.stdout;
}

function tryRun(file: string, args: readonly string[]): boolean {
  return spawnSync(file, [...args], { stdio: 'ignore' }).status === 0;
}

/** An `ip -batch` run inside NS. */
function ipBatch(ns: string, lines: readonly string[]): void {
  run('ip', ['-n', ns, '-batch', '-'], `${lines.join('\n')}\n`);
}

async function until(what: string, condition: () => boolean, boundMs = 5_000): Promise<void> {
  const end = Date.now() + boundMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`world: ${what} did not happen within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const WEB_SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  process.stdout.write('request ' + req.socket.remoteAddress + ' ' + req.headers.host + '\\n');
  res.end(req.socket.remoteAddress + '\\n');
}).listen(80, ${JSON.stringify(WEB)}, () => process.stdout.write('ready\\n'));
`;

export interface World {
  readonly host: string;
  readonly internet: string;
  readonly vpn: string;
  /** The client's wg-quick file: this world's VPN, DNS = the world's DNS server. */
  clientConfig(extra?: { interface?: string; peer?: string }): string;
  /** Everything dnsmasq logged so far (queries with their source addresses). */
  dnsLog(): string;
  /** Every request the web server saw so far: "request ADDRESS HOST". */
  webLog(): string;
  /** The far end goes away: the VPN's wireguard-go ends, its interface with it. */
  stopVpn(): Promise<void>;
  /** The PIDs of processes in the host stand-in (wireguard-go of netns-run's, if any). */
  hostProcesses(): number[];
  /** Interfaces in the host stand-in: its veth and lo, plus anything netns-run left there. */
  hostLinks(): string[];
  close(): void;
}

/** Builds the world; on failure half-way, removes what it made and throws. */
export async function makeWorld(): Promise<World> {
  const host = worldName('h');
  const internet = worldName('i');
  const vpn = worldName('v');
  const children: ChildProcess[] = [];
  let dnsLog = '';
  let webLog = '';
  let vpnPid: number | undefined;

  const close = () => {
    for (const child of children) if (alive(child.pid)) child.kill('SIGKILL');
    const killed: number[] = [];
    for (const ns of [host, internet, vpn]) {
      // Whatever still runs there (a wireguard-go of netns-run's) would keep it alive.
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
      for (const pid of pids.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
          killed.push(Number(pid));
        } catch {
          // gone
        }
      }
      tryRun('ip', ['netns', 'delete', ns]);
    }
    // Gone, not only killed: the leak check after this file looks for wireguard-go by name.
    const until = Date.now() + 5_000;
    while (killed.some((pid) => alive(pid) || isZombie(pid)) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  };

  try {
    for (const ns of [host, internet, vpn]) run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', host, 'link', 'add', 'nrwh0', 'type', 'veth', 'peer', 'name', 'nrwi0', 'netns', internet]);
    run('ip', ['-n', vpn, 'link', 'add', 'nrwv0', 'type', 'veth', 'peer', 'name', 'nrwi1', 'netns', internet]);
    ipBatch(host, ['link set lo up', 'address add 10.201.0.2/24 dev nrwh0', 'link set nrwh0 up', 'route add default via 10.201.0.1']);
    ipBatch(internet, ['link set lo up', `address add ${WEB}/32 dev lo`, 'address add 10.201.0.1/24 dev nrwi0', 'address add 10.202.0.1/24 dev nrwi1', 'link set nrwi0 up', 'link set nrwi1 up']);
    ipBatch(vpn, ['link set lo up', `address add ${VPN_ADDRESS}/24 dev nrwv0`, 'link set nrwv0 up', 'route add default via 10.202.0.1']);
    for (const ns of [internet, vpn]) run('nsenter', [`--net=/run/netns/${ns}`, '--', 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    run('nsenter', [`--net=/run/netns/${vpn}`, '--', 'nft', '-f', '-'], [
      'table ip nrw {',
      '  chain post {',
      '    type nat hook postrouting priority srcnat;',
      '    oifname "nrwv0" masquerade',
      '  }',
      '}',
      '',
    ].join('\n'));

    // The VPN server first: a client that finds no server at its first handshake waits 3-5 s to retry.
    const wgGo = spawn('nsenter', [`--net=/run/netns/${vpn}`, '--', 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -t tmpfs nrw /run && exec wireguard-go nrwsrv'], {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', WG_PROCESS_FOREGROUND: '1' },
      stdio: 'ignore',
    });
    children.push(wgGo);
    vpnPid = wgGo.pid;
    await until('the VPN server\'s wireguard-go', () => alive(vpnPid) && tryRun('test', ['-S', `/proc/${vpnPid}/root/run/wireguard/nrwsrv.sock`]));
    // Node hands input over a socket, which wg cannot fopen as /dev/stdin: cat turns it into a pipe.
    run('nsenter', [`--mount=/proc/${vpnPid}/ns/mnt`, `--net=/run/netns/${vpn}`, '--', 'sh', '-c', 'cat | wg setconf nrwsrv /dev/stdin'], [
      '[Interface]',
      `PrivateKey = ${KEYS.serverPrivate}`,
      `ListenPort = ${VPN_PORT}`,
      '[Peer]',
      `PublicKey = ${KEYS.clientPublic}`,
      `AllowedIPs = ${CLIENT_V4}/32, ${CLIENT_V6}/128`,
      '',
    ].join('\n'));
    ipBatch(vpn, ['address add 10.99.0.1/24 dev nrwsrv', 'address add fd99::1/64 dev nrwsrv nodad', 'link set nrwsrv up']);

    const dns = spawn('nsenter', [`--net=/run/netns/${internet}`, '--', 'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
      `--listen-address=${WEB}`, '--bind-interfaces', `--address=/ifconfig.me/${WEB}`, '--log-queries', '--log-facility=-', '--pid-file='], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(dns);
    dns.stderr!.on('data', (chunk: Buffer) => (dnsLog += chunk.toString()));
    const web = spawn('nsenter', [`--net=/run/netns/${internet}`, '--', process.execPath, '-e', WEB_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(web);
    web.stdout!.on('data', (chunk: Buffer) => (webLog += chunk.toString()));
    await until('the web server', () => webLog.includes('ready\n'));
    await until('dnsmasq', () => /started, version/.test(dnsLog) || !alive(dns.pid));
    if (!alive(dns.pid)) throw new Error(`world: dnsmasq ended: ${dnsLog}`);
  } catch (error) {
    close();
    throw error;
  }

  return {
    host,
    internet,
    vpn,
    clientConfig(extra = {}) {
      return [
        '[Interface]',
        `PrivateKey = ${KEYS.clientPrivate}`,
        `Address = ${CLIENT_V4}/32, ${CLIENT_V6}/128`,
        `DNS = ${WEB}`,
        ...(extra.interface !== undefined ? [extra.interface] : []),
        '',
        '[Peer]',
        `PublicKey = ${KEYS.serverPublic}`,
        `Endpoint = ${VPN_ADDRESS}:${VPN_PORT}`,
        'AllowedIPs = 0.0.0.0/0, ::/0',
        ...(extra.peer !== undefined ? [extra.peer] : []),
        '',
      ].join('\n');
    },
    dnsLog: () => dnsLog,
    webLog: () => webLog,
    async stopVpn() {
      if (vpnPid !== undefined && alive(vpnPid)) process.kill(vpnPid, 'SIGTERM');
      await until('the VPN server\'s end', () => !alive(vpnPid));
    },
    hostProcesses() {
      const pids = spawnSync('ip', ['netns', 'pids', host], { encoding: 'utf8' }).stdout ?? '';
      return pids.split('\n').filter(Boolean).map(Number);
    },
    hostLinks() {
      return (JSON.parse(run('ip', ['-n', host, '-j', 'link', 'show'])) as { ifname: string }[]).map((link) => link.ifname).sort();
    },
    close,
  };
}

/** Every wireguard-go on the machine, ended but not yet reaped included (the leak check sees those too). */
export function wireguardGoProcesses(): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'wireguard-go';
    } catch {
      return false;
    }
  }).map(Number);
}

/**
 * Closes WORLD and waits until every wireguard-go has gone: one ends by
 * itself 1-2 s after its interface is gone, and the leak check after the
 * file looks for it by name. Killed after 10 s.
 */
export async function endWorld(world: World | undefined): Promise<void> {
  world?.close();
  const until = Date.now() + 10_000;
  while (wireguardGoProcesses().length > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const pid of wireguardGoProcesses()) spawnSync('kill', ['-KILL', String(pid)]);
}
