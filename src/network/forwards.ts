// The [Forward]s of network.conf: a port of the host reaching a service in
// the namespace (in), and a port inside reaching a service of the host (out).
//
// Mechanism: forward-route.ts picks it per forward. A forward in over a
// [Veth] to the host is DNAT in the links' table (links.ts makes and
// removes the rules; here it only gets a record, for --status). Every other
// one is a proxy whose listening socket is made in one network namespace and
// which runs, and connects, in the other: the one mechanism that works for
// every namespace, a tunnel-only one included (nothing to route or DNAT
// over), with no nftables rule, no forwarding switched on and no route.
//
// Each proxy is one long-running process, started like wireguard-go
// (helpers.ts's startDaemon) and recorded with its PID, start time and a
// random tag in its environment, so that --down ends exactly it, a crash
// half-way leaves something to find, and a run that finds it dead starts it
// again (restartDeadForwards). The chain, all exec'd in one PID:
//   [nsenter --net=LISTEN-SIDE] perl BINDER   (root: makes the socket, fd 3)
//   nsenter --net=CONNECT-SIDE                 (root: moves to the other side)
//   setpriv --reuid=65534 ... --no-new-privs   (nobody, no capabilities)
//   systemd-socket-proxyd ADDR:PORT | node -e RELAY
// So only the binding is done as root; what then runs for the forward's
// whole life is nobody, holding one socket, able to reach one address.
// perl (perl-base, Essential on Debian) binds because it can then exec with
// the socket kept, which Node cannot; systemd-socket-activate could too,
// but it stays root until the first connection.
//
// TCP goes through systemd-socket-proxyd (splice(2), 887 MB/s measured
// against 1,000 direct); UDP, which it does not carry, through netns-run's
// own relay in Node (one socket a client, ended after a minute's silence),
// as does TCP where systemd-socket-proxyd is not installed.

import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { forwardRuns, forwardsDir, readForwardRecords, type ForwardRecord } from './forward-records.js';
import { readText } from './files.js';
import { alive, processStat, sleepMs } from './processes.js';
import { randomHex } from './digest.js';
import { NetnsRunError, oneLine } from '../errors.js';
import { HELPER_ENV, startDaemon } from '../helpers.js';
import type { NamespacePaths } from '../name.js';
import { findProgramAt, findTools } from '../tools.js';
import { rootOnlyWritable } from '../trust.js';
import type { NetworkSetup, NetworkTeardown } from './context.js';
import { endpointText, forwardText, type ForwardSpec } from './conf/forwards.js';
import { forwardRoute } from './forward-route.js';
import type { NetworkConf } from './network-conf.js';

/** Who a forward runs as once its socket is made: the overflow user, nobody. */
export const FORWARD_UID = 65534;

/**
 * Run as root in the namespace to listen in: makes the socket (fd 3, not
 * closed on exec), closes every other descriptor above 2, then execs the
 * rest of its arguments with LISTEN_FDS=1 and LISTEN_PID set, as systemd
 * passes a socket. Its failure is one line
 * on stderr; the forward's own stderr is /dev/null.
 */
export const BINDER = `
use strict; use Socket (); use POSIX ();
BEGIN { $^F = 3 }
my ($proto, $family, $addr, $port, @cmd) = @ARGV;
my $domain = $family == 6 ? Socket::AF_INET6() : Socket::AF_INET();
socket(my $s, $domain, $proto eq 'udp' ? Socket::SOCK_DGRAM() : Socket::SOCK_STREAM(), 0) or die "socket: $!\\n";
setsockopt($s, Socket::IPPROTO_IPV6(), Socket::IPV6_V6ONLY(), 1) if $family == 6;
setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_REUSEADDR(), 1) if $proto eq 'tcp';
my $sa = $family == 6 ? Socket::pack_sockaddr_in6($port, Socket::inet_pton($domain, $addr)) : Socket::pack_sockaddr_in($port, Socket::inet_aton($addr));
bind($s, $sa) or die "cannot listen on $ARGV[2] port $port: $!\\n";
if ($proto eq 'tcp') { listen($s, 4096) or die "listen: $!\\n" }
if (fileno($s) != 3) { POSIX::dup2(fileno($s), 3) or die "dup2: $!\\n" }
$ENV{LISTEN_FDS} = 1; $ENV{LISTEN_PID} = $$;
open(my $err, '>&', \\*STDERR) or die; open(STDERR, '>', '/dev/null') or die; open(STDOUT, '>', '/dev/null') or die;
# Whatever netns-run was handed and did not mark close-on-exec (a caller's descriptor, the launcher's pipe) stays behind.
opendir(my $dir, '/proc/self/fd') or die "/proc/self/fd: $!\\n"; my @fds = grep { /^[0-9]+$/ && $_ > 3 } readdir($dir); closedir($dir);
for my $fd (@fds) { POSIX::close($fd) unless $fd == fileno($err) }
exec { $cmd[0] } @cmd or do { print $err "cannot run $cmd[0]: $!\\n"; exit 126 };
`;

/**
 * netns-run's own relay, run as nobody on the side it connects from, with
 * the listening socket as fd 3: for UDP always, for TCP where
 * systemd-socket-proxyd is missing. A refused connection closes the
 * client's; the relay goes on.
 */
export const RELAY = `'use strict';
const [proto, family, host, port] = process.argv.slice(1);
if (proto === 'tcp') {
  const net = require('node:net');
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host, port: Number(port), allowHalfOpen: true });
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('error', end); upstream.on('error', end);
    client.on('close', end); upstream.on('close', end);
    client.pipe(upstream); upstream.pipe(client);
  });
  server.on('error', () => {});
  server.listen({ fd: 3 });
} else {
  const dgram = require('node:dgram');
  const listen = dgram.createSocket(family === '6' ? 'udp6' : 'udp4');
  listen.on('error', () => {});
  listen.bind({ fd: 3 });
  const peers = new Map();
  listen.on('message', (message, from) => {
    const key = from.address + ' ' + from.port;
    let peer = peers.get(key);
    if (peer === undefined) {
      if (peers.size >= 4096) return;
      const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
      // Datagrams that come before the socket is connected wait for it.
      peer = { socket, timer: undefined, waiting: [] };
      const current = peer;
      current.touch = () => { clearTimeout(current.timer); current.timer = setTimeout(() => { peers.delete(key); socket.close(); }, 60000); };
      socket.on('message', (reply) => { current.touch(); listen.send(reply, from.port, from.address); });
      socket.on('error', () => {});
      socket.connect(Number(port), host, () => {
        for (const waiting of current.waiting) socket.send(waiting, () => {});
        current.waiting = undefined;
      });
      peers.set(key, peer);
    }
    peer.touch();
    if (peer.waiting !== undefined) peer.waiting.length < 64 && peer.waiting.push(message);
    else peer.socket.send(message, () => {});
  });
}
`;

/** Readable by all, so that a user's --status shows the forwards too: a record holds no secret. */
function makeRootDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o755 });
  const st = lstatSync(path);
  if (!st.isDirectory() || !rootOnlyWritable(st)) throw new NetnsRunError(`${path} is not a directory only root can change; remove it and try again`);
}

function writeRecord(dir: string, name: string, record: ForwardRecord): void {
  writeFileSync(`${dir}/${name}.new`, `${JSON.stringify(record)}\n`, { mode: 0o644, flag: 'w' });
  renameSync(`${dir}/${name}.new`, `${dir}/${name}.json`);
}

function hasTag(pid: number, tag: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`NETNS_RUN_FORWARD=${tag}`);
  } catch {
    return false;
  }
}

/** Is PID still the forward RECORD names: its start time and its tag? */
function isRecordedForward(record: ForwardRecord): boolean {
  if (record.pid === undefined || record.startTime === undefined) return false;
  const stat = processStat(record.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === record.startTime && hasTag(record.pid, record.tag);
}

/** The process carrying TAG, for a record a crash cut short before its PID was written. */
function findTagged(tag: string): { pid: number; startTime: string } | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || !hasTag(Number(entry), tag)) continue;
    const stat = processStat(Number(entry));
    if (stat !== undefined) return { pid: Number(entry), startTime: stat.startTime };
  }
  return undefined;
}

const STOP_TIMEOUT_MS = 2_000;

/** Ends the forward RECORD names, if it still runs. Never throws. Returns what could not be ended. */
function stopForward(given: ForwardRecord): string[] {
  if (given.route === 'dnat') return [];
  const found = given.pid === undefined ? findTagged(given.tag) : undefined;
  const record: ForwardRecord = found !== undefined ? { ...given, ...found } : given;
  if (!isRecordedForward(record)) return [];
  try {
    process.kill(record.pid!, 'SIGTERM');
    const until = Date.now() + STOP_TIMEOUT_MS;
    while (alive(record.pid!) && Date.now() < until) sleepMs(5);
    if (isRecordedForward(record)) process.kill(record.pid!, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') return [`the forward ${forwardText(record)} (process ${record.pid})`];
  }
  return [];
}

const PROXYD = ['/usr/lib/systemd/systemd-socket-proxyd', '/lib/systemd/systemd-socket-proxyd'];

/** What carries a forward of PROTOCOL: its argv after setpriv. */
export function carrier(spec: Pick<ForwardSpec, 'protocol' | 'listen' | 'connect'>, proxyd: string | undefined, node: string): string[] {
  // systemd-socket-proxyd splits HOST:PORT at the last colon: a v6 address goes without brackets.
  if (spec.protocol === 'tcp' && proxyd !== undefined) return [proxyd, `${spec.connect.address}:${spec.connect.port}`];
  return [node, '-e', RELAY, spec.protocol, String(spec.listen.family), spec.connect.address, String(spec.connect.port)];
}

/** The inode of a network namespace file, or of the one PID is in. */
function netnsInode(path: string): bigint | undefined {
  try {
    return statSync(path, { bigint: true }).ino;
  } catch {
    return undefined;
  }
}

/** Has PID become the forward: PROGRAM, as nobody, in the network namespace whose inode is NETNS? */
function started(pid: number, program: string, netns: bigint | undefined): boolean {
  try {
    if (readlinkSync(`/proc/${pid}/exe`) !== program) return false;
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (uids === null || uids.slice(1).some((uid) => Number(uid) !== FORWARD_UID)) return false;
    return netnsInode(`/proc/${pid}/ns/net`) === netns;
  } catch {
    return false;
  }
}

interface ForwardTools {
  readonly nsenter: string;
  readonly setpriv: string;
  readonly perl: string;
  readonly proxyd: string | undefined;
}

/** A forward started, not yet known to run. */
interface Starting {
  readonly spec: Pick<ForwardSpec, 'direction' | 'protocol' | 'listen' | 'connect' | 'line'>;
  readonly pid: number;
  readonly program: string;
  /** The inode of the network namespace it must end up in. */
  readonly netns: bigint | undefined;
  readonly errors: string;
}

/**
 * Starts the forward SPEC of NAME, recorded as NAME; waitStarted then waits
 * until it runs as nobody on its side. A RESTART keeps its record on a
 * rollback: it then names a dead forward, which the next run tries again.
 */
function startForward(spec: Starting['spec'], name: string, paths: NamespacePaths, tools: ForwardTools, undo: NetworkSetup['undo'], restart = false): Starting {
  const dir = forwardsDir(paths);
  const tag = randomHex(8);
  const argv = carrier(spec, tools.proxyd, process.execPath);
  const program = realpathSync(argv[0]!);
  const base: ForwardRecord = { direction: spec.direction, protocol: spec.protocol, listen: spec.listen, connect: spec.connect, line: spec.line, tag, program };
  // Written before the process exists: a crash right after still leaves its tag to find it by.
  writeRecord(dir, name, base);
  if (!restart) undo.push(`remove ${dir}/${name}.json`, () => rmSync(`${dir}/${name}.json`, { force: true }));
  const hostNet = `/proc/${process.pid}/ns/net`;
  const [listenSide, connectSide] = spec.direction === 'in' ? [undefined, paths.netns] : [paths.netns, hostNet];
  const unprivileged = [tools.setpriv, `--reuid=${FORWARD_UID}`, `--regid=${FORWARD_UID}`, '--clear-groups', '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--no-new-privs', '--', ...argv];
  const bind = [tools.perl, '-e', BINDER, spec.protocol, String(spec.listen.family), spec.listen.address, String(spec.listen.port), tools.nsenter, `--net=${connectSide}`, '--', ...unprivileged];
  const command = listenSide === undefined ? bind : [tools.nsenter, `--net=${listenSide}`, '--', ...bind];
  const errors = `${dir}/${name}.err`;
  const errorFd = openSync(errors, 'w', 0o600);
  let pid: number;
  try {
    pid = startDaemon(command[0]!, command.slice(1), { env: { ...HELPER_ENV, NETNS_RUN_FORWARD: tag }, output: errorFd });
  } finally {
    closeSync(errorFd);
  }
  undo.push(`stop the forward ${forwardText(spec)}`, () => {
    // Still our unreaped child here, so the PID cannot have been reused.
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  const stat = processStat(pid);
  if (stat !== undefined) writeRecord(dir, name, { ...base, pid, startTime: stat.startTime });
  return { spec, pid, program, netns: netnsInode(connectSide), errors };
}

/** Waits until every forward of STARTING runs (all started at once: each node relay takes a while to start). */
function waitStarted(starting: readonly Starting[], file: string): void {
  const until = Date.now() + 5_000;
  const pending = new Set(starting);
  while (pending.size > 0) {
    for (const forward of pending) {
      const { spec, pid, program, netns, errors } = forward;
      if (started(pid, program, netns)) {
        rmSync(errors, { force: true });
        pending.delete(forward);
        continue;
      }
      if (!alive(pid)) {
        const said = oneLine(readText(errors).trim().split('\n').pop() ?? '');
        throw new NetnsRunError(`${file}:${spec.line}: the forward ${forwardText(spec)} could not be started: ${said || 'it exited at once'}`);
      }
      if (Date.now() > until) throw new NetnsRunError(`${file}:${spec.line}: the forward ${forwardText(spec)} did not start within 5 s`);
    }
    if (pending.size > 0) sleepMs(2);
  }
}

function rmdirQuietly(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // another part's records are still in it; it goes with the state directory
  }
}

/**
 * Starts every [Forward] of network.conf that a proxy carries, and records
 * those DNAT carries (their rules are in the links' table, links.ts); what a
 * crash or an older namespace left is ended first. All of it is on the undo log.
 */
export function makeForwards(setup: NetworkSetup): void {
  const { paths, conf, undo } = setup;
  removeForwards({ paths, notes: [] });
  if (conf.forwards.length === 0) return;
  const routes = conf.forwards.map((spec) => forwardRoute(spec, conf.links));
  // Shared with the other parts of network.conf: taken back only if this made it, and only if empty by then.
  if (lstatSync(paths.networkState, { throwIfNoEntry: false }) === undefined) {
    makeRootDir(paths.networkState);
    undo.push(`remove ${paths.networkState}`, () => rmdirQuietly(paths.networkState));
  }
  const dir = forwardsDir(paths);
  makeRootDir(dir);
  undo.push(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const tools = routes.some((route) => route.kind === 'proxy') ? proxyTools() : undefined;
  const starting: Starting[] = [];
  conf.forwards.forEach((spec, index) => {
    const { direction, protocol, listen, connect, line } = spec;
    if (routes[index]!.kind === 'dnat') writeRecord(dir, String(index), { direction, protocol, listen, connect, line, route: 'dnat', tag: randomHex(8) });
    else starting.push(startForward(spec, String(index), paths, tools!, undo));
  });
  waitStarted(starting, conf.file);
}

function proxyTools(): ForwardTools {
  return { ...findTools(['nsenter', 'setpriv', 'perl'] as const), proxyd: findProgramAt(PROXYD) };
}

/**
 * Starts again every proxy of NAME whose process has died, from its record
 * (what was made, whatever network.conf says by now: an edit is --ensure's
 * to apply). What a run or --ensure does when inspect() finds one dead: the
 * namespace's own life cycle is what supervises its forwards.
 */
export function restartDeadForwards(paths: NamespacePaths, undo: NetworkSetup['undo']): void {
  const dead = readForwardRecords(paths).filter(({ record }) => !forwardRuns(record));
  if (dead.length === 0) return;
  const tools = proxyTools();
  // One a crash left without its PID may still run: found by its tag and ended, so that its port is free again.
  for (const { record } of dead) stopForward(record);
  waitStarted(dead.map(({ name, record }) => startForward(record, name, paths, tools, undo, true)), paths.networkConf);
}

/** Ends every forward NAME's records name, whatever network.conf says by now, and removes the records. Returns what could not be ended (also in notes). */
export function removeForwards(teardown: NetworkTeardown): string[] {
  const problems = readForwardRecords(teardown.paths).flatMap(({ record }) => stopForward(record));
  // Records cut short by a crash are unreadable: their processes cannot be told apart, so they are left to the notes.
  rmSync(forwardsDir(teardown.paths), { recursive: true, force: true });
  for (const problem of problems) teardown.notes.push(`could not end ${problem}`);
  return problems;
}

/** One forward as --status and --json show it. */
export interface ForwardReport {
  readonly forward: string;
  readonly direction: ForwardSpec['direction'];
  readonly protocol: ForwardSpec['protocol'];
  readonly listen: string;
  readonly connect: string;
  /** What carries it (forward-route.ts): rules of NAME's nftables table on the host, or a proxy process. */
  readonly route: 'dnat' | 'proxy';
  /**
   * made: carried now; dead: its proxy was started and has died since;
   * missing: declared, not made. The next run or --ensure makes or restarts both.
   */
  readonly state: 'made' | 'dead' | 'missing';
  readonly running: boolean;
  readonly pid?: number;
  readonly program?: string;
}

/** The forwards of NAME: those DECLARED (by network.conf when it could be read) and those made. Reads /proc only. */
export function describeForwards(paths: Pick<NamespacePaths, 'networkState'>, declared: Pick<NetworkConf, 'forwards' | 'links'>, records = readForwardRecords(paths)): ForwardReport[] {
  const made = records.map(({ record }) => record);
  const report = (spec: Pick<ForwardSpec, 'direction' | 'protocol' | 'listen' | 'connect'>, record: ForwardRecord | undefined): ForwardReport => {
    const running = record !== undefined && forwardRuns(record);
    const route = record !== undefined ? (record.route ?? 'proxy') : forwardRoute(spec, declared.links).kind;
    return {
      forward: forwardText(spec),
      direction: spec.direction,
      protocol: spec.protocol,
      listen: endpointText(spec.listen),
      connect: endpointText(spec.connect),
      route,
      state: record === undefined ? 'missing' : running ? 'made' : 'dead',
      running,
      ...(record?.pid !== undefined && record.program !== undefined ? { pid: record.pid, program: record.program } : {}),
    };
  };
  const byText = new Map(made.map((record) => [forwardText(record), record]));
  const rows = declared.forwards.map((spec) => {
    const record = byText.get(forwardText(spec));
    byText.delete(forwardText(spec));
    return report(spec, record);
  });
  return [...rows, ...[...byText.values()].map((record) => report(record, record))];
}

/** One line a forward, for --status. */
export function formatForward(forward: ForwardReport): string {
  if (forward.state === 'missing') return `${forward.forward}: not started; the next run or --ensure starts it`;
  const process = forward.pid !== undefined ? `${forward.program?.split('/').pop()}, pid ${forward.pid}` : undefined;
  if (forward.state === 'dead') return `${forward.forward}: dead (${process !== undefined ? `${process} is gone` : 'no process'}); the next run or --ensure starts it again`;
  if (forward.route === 'dnat') return `${forward.forward}: DNAT over the veth (nftables)`;
  return `${forward.forward}: running (${process})`;
}
