// Making, inspecting and removing the WireGuard interfaces of a namespace.
//
// The interface is made where the encrypted packets must go, in netns-run's
// own network namespace (the host), configured there, then moved into NAME
// and renamed: its UDP socket stays outside, so inside there is nothing but
// lo and the tunnel, and a tunnel that is down is a namespace that reaches
// nothing. It is made under a temporary name (nrwg-XXXXXXXX) so that a host
// interface called wg0 is never touched.
//
// Kernel WireGuard where `ip link add type wireguard` works; otherwise
// wireguard-go, one process per interface. wireguard-go's control socket is
// /var/run/wireguard/TMP.sock, a path shared by every namespace, so each
// wireguard-go runs in a private mount namespace where NAME's own directory
// (/run/netns-run/NAME/wireguard-go) is bound at /var/run/wireguard. Renaming or
// even hard-linking that socket makes wireguard-go shut down (it watches the
// file with inotify), so the view `wg` reads, /run/netns-run/NAME/wireguard,
// holds IFNAME.sock as a symlink to it: bound at /var/run/wireguard, `wg show
// IFNAME` works, and only NAME's interfaces are listed.
//
// Keys reach wg(8) on its stdin only, and what wg prints is never quoted in
// an error: it echoes a malformed key back.
import { closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, symlinkSync, unlinkSync, writeSync } from 'node:fs';
import { NetnsRunError } from '../errors.js';
import { describeFailure, failed, HELPER_ENV, helperSucceeds, runHelper, startDaemon, tryHelper } from '../helpers.js';
import { STATE_ROOT, type NamespacePaths } from '../name.js';
import { findOptionalTool, findTools, type Tools } from '../tools.js';
import { daemonPerl } from '../syscalls.js';
import { makePrivateDir } from '../trust.js';
import { cidrText } from './address.js';
import { alive, processStat, sleepMs } from './processes.js';
import { writeRecordFile } from './state-record.js';
import { randomHex } from './digest.js';
import { madeInterfaces, readRecords, recordPath, TEMPORARY_NAME, wireGuardPaths, type MadeRecord, type WireGuardPaths } from './files.js';
import { renderSetconf, routes, type WireGuardSpec } from './wg-quick.js';

export type TunnelTools = Pick<Tools, 'ip' | 'wg' | 'nsenter' | 'unshare' | 'mount' | 'sh' | 'cat'>;

/** Kernel WireGuard, or wireguard-go at this path. */
export type Backend = { readonly kind: 'kernel' } | { readonly kind: 'userspace'; readonly wireguardGo: string };

/** The part of Undo that making a tunnel needs: actions to take back, newest first, synchronous. */
export interface Rollback {
  push(what: string, action: () => void): void;
}

/** wireguard-go and wg(8) know only this directory. */
const SOCKET_DIR = '/var/run/wireguard';

export function findTunnelTools(): TunnelTools {
  return findTools(['ip', 'wg', 'nsenter', 'unshare', 'mount', 'sh', 'cat'] as const);
}

/**
 * Kernel WireGuard if this kernel makes a wireguard link (tried in a
 * throwaway network namespace, so nothing of the host's is touched; the
 * module loads on demand), else wireguard-go if installed. A kernel that
 * could not make one is remembered until the next boot (NO_KERNEL_WIREGUARD):
 * the probe costs two program starts on every first use. A module loaded
 * since is still seen (/sys/module/wireguard) and used.
 */
export function chooseBackend(tools: Pick<TunnelTools, 'ip' | 'unshare'>): Backend {
  // Loaded or built in: no need to try.
  if (lstatSync('/sys/module/wireguard', { throwIfNoEntry: false }) !== undefined) return { kind: 'kernel' };
  const boot = bootId();
  if (!knownWithoutWireGuard(boot)) {
    if (!failed(tryHelper(tools.unshare, ['--net', '--', tools.ip, 'link', 'add', 'nrwg-probe', 'type', 'wireguard']))) return { kind: 'kernel' };
    rememberWithoutWireGuard(boot);
  }
  const wireguardGo = findOptionalTool('wireguard-go');
  if (wireguardGo === undefined) {
    throw new NetnsRunError('this kernel has no WireGuard and wireguard-go is not installed; install the packages wireguard-go and wireguard-tools');
  }
  return { kind: 'userspace', wireguardGo };
}

/** Root's record that this boot's kernel made no wireguard link: {"bootId": "..."}. */
// A dot first: no namespace can have that name (name.ts), so it never meets a state directory.
export const NO_KERNEL_WIREGUARD = `${STATE_ROOT}/.no-kernel-wireguard`;

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** Believed only if it is root's, a regular file no one else may write, and of this boot. */
function knownWithoutWireGuard(boot: string): boolean {
  if (boot === '') return false;
  const st = lstatSync(NO_KERNEL_WIREGUARD, { throwIfNoEntry: false });
  if (st === undefined || !st.isFile() || st.uid !== 0 || (st.mode & 0o022) !== 0) return false;
  try {
    return (JSON.parse(readFileSync(NO_KERNEL_WIREGUARD, 'utf8')) as { bootId?: unknown }).bootId === boot;
  } catch {
    return false;
  }
}

/** Best effort: a /run that cannot be written only means probing again next time. */
function rememberWithoutWireGuard(boot: string): void {
  if (boot === '') return;
  try {
    writeRecordFile(NO_KERNEL_WIREGUARD, { bootId: boot }, 0o644);
  } catch {
    // probed again next time
  }
}

/** Replaced whole (a new file renamed over the old): a SIGKILL leaves the old record or the new one, never an empty one. */
function writeRecord(wg: WireGuardPaths, record: MadeRecord): void {
  writeRecordFile(recordPath(wg, record.interfaceName), record, 0o600);
}

/**
 * The wireguard-go running for temporary name TMP, found by its command line:
 * for a record a crash cut short before the PID was written. The name is
 * random and netns-run's own, so no one else's process matches.
 */
function findDaemon(tmp: string): { pid: number; startTime: string } | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.length !== 2 || argv[1] !== tmp || !/\/wireguard-go$/.test(readlinkSync(`/proc/${entry}/exe`))) continue;
      const stat = processStat(Number(entry));
      if (stat !== undefined) return { pid: Number(entry), startTime: stat.startTime };
    } catch {
      // gone, or a kernel thread
    }
  }
  return undefined;
}

/** Is PID still the wireguard-go that RECORD names: the program, its argument and its start time? */
function isRecordedDaemon(record: MadeRecord, wireguardGo: string | undefined): boolean {
  if (record.pid === undefined || record.startTime === undefined) return false;
  const stat = processStat(record.pid);
  if (stat === undefined || stat.startTime !== record.startTime) return false;
  try {
    const exe = readlinkSync(`/proc/${record.pid}/exe`);
    const argv = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return (wireguardGo === undefined || exe === wireguardGo) && /\/wireguard-go$/.test(exe) && argv.length === 2 && argv[1] === record.temporaryName;
  } catch {
    return false;
  }
}

function temporaryName(): string {
  return `nrwg-${randomHex(4)}`;
}

/** One line for a failed `wg setconf`, built without a word of wg's: it may have echoed a key. */
function setconfFailure(spec: WireGuardSpec, stderr: string, how: string): NetnsRunError {
  if (/Name or service not known|Temporary failure in name resolution|No address associated/.test(stderr)) {
    return new NetnsRunError(`configuring ${spec.interfaceName} from ${spec.file} failed: an Endpoint's host name could not be resolved`);
  }
  return new NetnsRunError(`configuring ${spec.interfaceName} from ${spec.file} failed: wg setconf ${how}`);
}

/** Starts wireguard-go for TMP in a private mount namespace seeing wg.sockets at /var/run/wireguard; returns its record once its socket is there. */
function startWireguardGo(spec: WireGuardSpec, tmp: string, wireguardGo: string, wg: WireGuardPaths, tools: TunnelTools, undo: Rollback): MadeRecord {
  // The mount point must exist in the host (wireguard-go would make it too); never removed, others may use it.
  makeMountPoint(SOCKET_DIR);
  // Foreground mode: daemon mode keeps our stdout open. perl (and unshare and sh) exec, so the PID is wireguard-go's.
  const env = { ...HELPER_ENV, WG_PROCESS_FOREGROUND: '1' };
  const perl = daemonPerl({ source: wg.sockets, target: SOCKET_DIR });
  const pid = perl !== undefined
    ? startDaemon(wireguardGo, [tmp], { env, perl })
    : startDaemon(tools.unshare, ['--mount', '--propagation', 'private', '--', tools.sh, '-c', '"$3" --bind "$1" "$2" && exec "$4" "$5"', 'sh', wg.sockets, SOCKET_DIR, tools.mount, wireguardGo, tmp], { env });
  undo.push(`stop wireguard-go ${pid}`, () => {
    // Still our unreaped child here, so the PID cannot have been reused.
    if (alive(pid)) process.kill(pid, 'SIGTERM');
  });
  const socket = `${wg.sockets}/${tmp}.sock`;
  const until = Date.now() + 5_000;
  while (lstatSync(socket, { throwIfNoEntry: false })?.isSocket() !== true) {
    if (!alive(pid)) throw new NetnsRunError(`starting wireguard-go for ${spec.interfaceName} failed: it exited at once (is /dev/net/tun there?)`);
    if (Date.now() > until) throw new NetnsRunError(`starting wireguard-go for ${spec.interfaceName} failed: no control socket after 5 s`);
    sleepMs(2);
  }
  const stat = processStat(pid);
  if (stat === undefined) throw new NetnsRunError(`starting wireguard-go for ${spec.interfaceName} failed: it exited`);
  return { kind: 'userspace', interfaceName: spec.interfaceName, temporaryName: tmp, pid, startTime: stat.startTime };
}

function makeMountPoint(path: string): void {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new NetnsRunError(`cannot create ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
}

/**
 * The wg setconf text in a file only root can read, unlinked as soon as it
 * is open, for wg to read through the descriptor returned: never in argv,
 * and without a program (cat, sh) to turn Node's socket into something
 * fopen() takes. Node has no pipe(2). A SIGKILL between open and unlink
 * leaves the file in root's private directory, where removeTunnel finds it.
 */
function setconfFile(wg: WireGuardPaths, tmp: string, text: string): number {
  const path = `${wg.view}/${tmp}.setconf`;
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    unlinkSync(path);
    writeSync(fd, text);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/** The `ip -batch` lines that finish the interface inside NAME: name, MTU, addresses, up, routes. */
export function insideCommands(spec: WireGuardSpec, tmp: string): string {
  const dev = spec.interfaceName;
  const lines = [`link set dev ${tmp} name ${dev}`];
  if (spec.mtu !== undefined) lines.push(`link set dev ${dev} mtu ${spec.mtu}`);
  // No duplicate address detection: a tunnel has no neighbours, and DAD would hold v6 back ~2 s.
  for (const address of spec.addresses) lines.push(`address add ${cidrText(address)} dev ${dev}${address.family === 6 ? ' nodad' : ''}`);
  lines.push(`link set dev ${dev} up`);
  for (const route of routes(spec)) lines.push(`route add ${cidrText(route)} dev ${dev}`);
  return `${lines.join('\n')}\n`;
}

/** Does NAME have an interface IFNAME now? */
function hasLink(tools: Pick<TunnelTools, 'ip'>, netns: string, ifname: string): boolean {
  return helperSucceeds(tools.ip, ['-n', netns, 'link', 'show', 'dev', ifname]);
}

/** A root-only directory of NAME's state; made by this call, it goes with a rollback, so that the state directory can go too. */
function privateDir(path: string, undo: Rollback): void {
  const existed = lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  makePrivateDir(path);
  // What is left in it is ours: a record, a socket of a wireguard-go being stopped.
  if (!existed) undo.push(`remove ${path}`, () => rmSync(path, { recursive: true, force: true }));
}

/**
 * Makes the interface SPEC describes in namespace PATHS.name: created and
 * configured in our own network namespace under a temporary name, moved in,
 * renamed, addressed, up, routed. Everything it makes is pushed on UNDO, and
 * recorded in the state directory before it exists in the kernel, so that a
 * crash (even SIGKILL) leaves a record the next call acts on.
 */
export function makeTunnel(spec: WireGuardSpec, paths: NamespacePaths, backend: Backend, tools: TunnelTools, undo: Rollback, netnsId?: string): MadeRecord {
  const wg = wireGuardPaths(paths);
  privateDir(wg.view, undo);
  const tmp = temporaryName();
  let record: MadeRecord;
  // Written before the thing exists: a crash right after still leaves its name for repair.
  const fingerprint = spec.fingerprint !== undefined ? { fingerprint: spec.fingerprint } : {};
  writeRecord(wg, { kind: backend.kind, interfaceName: spec.interfaceName, temporaryName: tmp, ...fingerprint });
  undo.push(`remove ${recordPath(wg, spec.interfaceName)}`, () => unlinkSync(recordPath(wg, spec.interfaceName)));
  // wg setconf fopen()s the file it is given: its descriptor 3, an unlinked root-only file (setconfFile).
  const setconfArgs = [tools.wg, 'setconf', tmp, '/dev/fd/3'];
  let setconf: { file: string; args: string[] };
  if (backend.kind === 'kernel') {
    runHelper(tools.ip, ['link', 'add', 'dev', tmp, 'type', 'wireguard'], `making WireGuard interface ${spec.interfaceName}`);
    undo.push(`delete ${tmp}`, () => helperSucceeds(tools.ip, ['link', 'delete', 'dev', tmp]));
    record = { kind: 'kernel', interfaceName: spec.interfaceName, temporaryName: tmp, ...fingerprint };
    setconf = { file: setconfArgs[0]!, args: setconfArgs.slice(1) };
  } else {
    privateDir(wg.sockets, undo);
    record = { ...startWireguardGo(spec, tmp, backend.wireguardGo, wg, tools, undo), ...fingerprint };
    writeRecord(wg, record);
    // wg finds wireguard-go's socket only in its private mount namespace.
    setconf = { file: tools.nsenter, args: [`--mount=/proc/${record.pid}/ns/mnt`, '--', ...setconfArgs] };
  }
  // The keys go in a descriptor; wg's own words never reach the message.
  const fd = setconfFile(wg, tmp, renderSetconf(spec));
  let outcome;
  try {
    outcome = tryHelper(setconf.file, setconf.args, { fds: [fd] });
  } finally {
    closeSync(fd);
  }
  if (failed(outcome)) throw setconfFailure(spec, outcome.stderr, outcome.code !== null ? `exited with status ${outcome.code}` : describeFailure('wg', outcome));
  runHelper(tools.ip, ['link', 'set', 'dev', tmp, 'netns', paths.name], `moving ${spec.interfaceName} into ${paths.name}`);
  // By its temporary name until the rename: an IFNAME there may be someone else's.
  const deleteInside = (dev: string) => () => helperSucceeds(tools.ip, ['-n', paths.name, 'link', 'delete', 'dev', dev]);
  undo.push(`delete ${tmp} in ${paths.name}`, deleteInside(tmp));
  const inside = tryHelper(tools.ip, ['-n', paths.name, '-batch', '-'], { input: insideCommands(spec, tmp) });
  // ip says why, then "Command failed -:LINE"; line 1 is the rename, so after it the interface is IFNAME.
  const failedLine = Number(/Command failed -:(\d+)/.exec(inside.stderr)?.[1] ?? 0);
  if (!failed(inside) || failedLine > 1) undo.push(`delete ${spec.interfaceName} in ${paths.name}`, deleteInside(spec.interfaceName));
  if (failed(inside)) {
    if (failedLine === 1 && /File exists/.test(inside.stderr)) {
      throw new NetnsRunError(`${paths.name} already has an interface ${spec.interfaceName} that netns-run did not make; remove it, or rename ${spec.file}`);
    }
    const why = inside.stderr.trim().split('\n').find((line) => line.trim() !== '' && !line.startsWith('Command failed')) ?? describeFailure('ip', inside);
    throw new NetnsRunError(`setting up ${spec.interfaceName} in ${paths.name} from ${spec.file} failed: ${why.trim().replace(/^Error: /, '')}`);
  }
  if (record.kind === 'userspace') {
    const link = `${wg.view}/${spec.interfaceName}.sock`;
    try {
      unlinkSync(link);
    } catch {
      // none left over
    }
    symlinkSync(`${wg.sockets}/${tmp}.sock`, link);
    undo.push(`remove ${link}`, () => unlinkSync(link));
  }
  const done: MadeRecord = { ...record, ...(netnsId !== undefined ? { netnsId } : {}), complete: true };
  writeRecord(wg, done);
  return done;
}

/**
 * Brings NAME's tunnels to what SPECS describe, for set-up: what a crash or
 * an older namespace left is removed first, then each interface not yet
 * made is made. All of it is pushed on UNDO.
 */
export function makeTunnels(specs: readonly WireGuardSpec[], paths: NamespacePaths, netnsId: string, undo: Rollback): MadeRecord[] {
  if (specs.length === 0) return [];
  const tools = findTunnelTools();
  const made = madeInterfaces(paths, netnsId);
  for (const record of readRecords(wireGuardPaths(paths))) {
    if (!made.has(record.interfaceName)) removeTunnel(record, paths, tools);
  }
  const wanted = specs.filter((spec) => !made.has(spec.interfaceName));
  if (wanted.length === 0) return [];
  const backend = chooseBackend(tools);
  return wanted.map((spec) => makeTunnel(spec, paths, backend, tools, undo, netnsId));
}

/**
 * --ensure after an edit: brings NAME's tunnels to what SPECS describe now.
 * An interface whose file changed, that is gone from the kernel, or whose
 * file is gone, is removed; then every one not standing is made. Removing a
 * live tunnel cannot be undone, and need not be: until the new one is up the
 * namespace reaches nothing, which is what a tunnel that is down means.
 * Returns what it did, a line an interface.
 */
export function reconcileTunnels(specs: readonly WireGuardSpec[], paths: NamespacePaths, netnsId: string, undo: Rollback): string[] {
  const tools = findTunnelTools();
  const wanted = new Map(specs.map((spec) => [spec.interfaceName, spec]));
  const notes: string[] = [];
  const standing = new Set<string>();
  for (const record of readRecords(wireGuardPaths(paths))) {
    const spec = wanted.get(record.interfaceName);
    const live = record.complete === true && record.netnsId === netnsId && hasLink(tools, paths.name, record.interfaceName);
    const why = spec === undefined ? `removed (${paths.configDir}/${record.interfaceName}.conf is gone)`
      : !live ? 'made again (it was gone)'
      : record.fingerprint !== spec.fingerprint ? `made again from ${spec.file} (the file changed)`
      : undefined;
    if (why === undefined) {
      standing.add(record.interfaceName);
      continue;
    }
    for (const left of removeTunnel(record, paths, tools)) notes.push(`could not remove ${left}`);
    notes.push(`${record.interfaceName}: ${why}`);
  }
  const missing = specs.filter((spec) => !standing.has(spec.interfaceName));
  if (missing.length === 0) return notes;
  const backend = chooseBackend(tools);
  for (const spec of missing) {
    makeTunnel(spec, paths, backend, tools, undo, netnsId);
    if (!notes.some((note) => note.startsWith(`${spec.interfaceName}: `))) notes.push(`${spec.interfaceName}: made from ${spec.file}`);
  }
  return notes;
}

/** How long wireguard-go may take to close its interface after SIGTERM before it gets SIGKILL. */
const STOP_TIMEOUT_MS = 3_000;

/**
 * Removes what RECORD says netns-run made: the interface (in NAME, or in the
 * host under its temporary name if a crash left it there) and wireguard-go,
 * only once /proc shows that PID is still that very process. Never throws:
 * teardown goes on. Returns what could not be removed.
 */
export function removeTunnel(given: MadeRecord, paths: NamespacePaths, tools: Pick<TunnelTools, 'ip'>): string[] {
  const problems: string[] = [];
  const found = given.kind === 'userspace' && given.pid === undefined && TEMPORARY_NAME.test(given.temporaryName) ? findDaemon(given.temporaryName) : undefined;
  const record: MadeRecord = found !== undefined ? { ...given, ...found } : given;
  const wg = wireGuardPaths(paths);
  if (record.kind === 'userspace' && record.pid !== undefined && isRecordedDaemon(record, findOptionalTool('wireguard-go'))) {
    process.kill(record.pid, 'SIGTERM');
    const until = Date.now() + STOP_TIMEOUT_MS;
    while (alive(record.pid) && Date.now() < until) sleepMs(10);
    if (alive(record.pid) && isRecordedDaemon(record, undefined)) process.kill(record.pid, 'SIGKILL');
  }
  // A kernel interface, or one a killed wireguard-go has not closed yet.
  if (hasLink(tools, paths.name, record.interfaceName)) helperSucceeds(tools.ip, ['-n', paths.name, 'link', 'delete', 'dev', record.interfaceName]);
  if (hasLink(tools, paths.name, record.temporaryName)) helperSucceeds(tools.ip, ['-n', paths.name, 'link', 'delete', 'dev', record.temporaryName]);
  // Crashed before the move: the interface is still in our own namespace, under its temporary name only.
  if (TEMPORARY_NAME.test(record.temporaryName) && helperSucceeds(tools.ip, ['link', 'show', 'dev', record.temporaryName])) {
    if (!helperSucceeds(tools.ip, ['link', 'delete', 'dev', record.temporaryName])) problems.push(`interface ${record.temporaryName}`);
  }
  for (const file of [`${wg.view}/${record.interfaceName}.sock`, `${wg.view}/${record.temporaryName}.setconf`, `${wg.sockets}/${record.temporaryName}.sock`, `${recordPath(wg, record.interfaceName)}.new`, recordPath(wg, record.interfaceName)]) {
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(file);
    }
  }
  return problems;
}

/** Removes every tunnel NAME's state records, then the WireGuard directories. Returns what could not be removed. */
export function removeTunnels(paths: NamespacePaths, tools: Pick<TunnelTools, 'ip'>): string[] {
  const wg = wireGuardPaths(paths);
  const problems = readRecords(wg).flatMap((record) => removeTunnel(record, paths, tools));
  for (const dir of [wg.view, wg.sockets]) {
    try {
      rmdirSync(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') problems.push(`${dir} (${code})`);
    }
  }
  return problems;
}

/** What the kernel has for one interface of NAME now. No private or preshared key: they are dropped as the dump is read. */
export interface TunnelFacts {
  readonly interfaceName: string;
  readonly up: boolean;
  readonly mtu: number;
  readonly addresses: readonly string[];
  readonly publicKey: string;
  readonly listenPort: number;
  readonly fwMark: number;
  readonly peers: readonly PeerFacts[];
}

export interface PeerFacts {
  readonly publicKey: string;
  readonly hasPresharedKey: boolean;
  /** "(none)" when no endpoint is known. */
  readonly endpoint: string;
  readonly allowedIPs: readonly string[];
  /** Seconds since the epoch; 0: never. */
  readonly latestHandshake: number;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly persistentKeepalive: number;
}

/**
 * `wg show IF dump`, read so that its secrets go no further: the first line
 * is "private-key public-key listen-port fwmark", each further line
 * "public-key preshared-key endpoint allowed-ips latest-handshake rx tx keepalive".
 */
export function parseDump(dump: string): Omit<TunnelFacts, 'interfaceName' | 'up' | 'mtu' | 'addresses'> {
  const [head, ...rest] = dump.split('\n').filter(Boolean);
  const own = (head ?? '').split('\t').slice(1); // the private key is dropped here, unread
  const peers = rest.map((line): PeerFacts => {
    const [publicKey, preshared, endpoint, allowed, handshake, rx, tx, keepalive] = line.split('\t');
    return {
      publicKey: publicKey ?? '',
      hasPresharedKey: preshared !== undefined && preshared !== '(none)',
      endpoint: endpoint ?? '(none)',
      allowedIPs: allowed === undefined || allowed === '(none)' ? [] : allowed.split(','),
      latestHandshake: Number(handshake ?? 0),
      rxBytes: Number(rx ?? 0),
      txBytes: Number(tx ?? 0),
      persistentKeepalive: keepalive === undefined || keepalive === 'off' ? 0 : Number(keepalive),
    };
  });
  return {
    publicKey: own[0] ?? '',
    listenPort: Number(own[1] ?? 0),
    fwMark: own[2] === undefined || own[2] === 'off' ? 0 : Number(own[2]),
    peers,
  };
}

/**
 * Runs wg(8) ARGS inside NAME's network namespace with NAME's view of
 * /var/run/wireguard: a userspace interface is then found by its name inside
 * (IFNAME.sock), a kernel one over netlink there, and no one else's is seen.
 */
export function wgArgsInside(paths: NamespacePaths, tools: TunnelTools, args: readonly string[]): { file: string; args: string[] } {
  return {
    file: tools.nsenter,
    args: [`--net=${paths.netns}`, '--', tools.unshare, '--mount', '--propagation', 'private', '--', tools.sh, '-c', '"$3" --bind "$1" "$2" && shift 3 && exec "$@"', 'sh', wireGuardPaths(paths).view, SOCKET_DIR, tools.mount, tools.wg, ...args],
  };
}

/** What NAME's interface IFNAME is now, or undefined if NAME has no such interface. */
export function inspectTunnel(paths: NamespacePaths, ifname: string, tools: TunnelTools): TunnelFacts | undefined {
  const shown = tryHelper(tools.ip, ['-n', paths.name, '-j', 'address', 'show', 'dev', ifname]);
  if (failed(shown)) return undefined;
  const [link] = JSON.parse(shown.stdout) as { flags?: string[]; mtu?: number; addr_info?: { local: string; prefixlen: number }[] }[];
  if (link === undefined) return undefined;
  const run = wgArgsInside(paths, tools, ['show', ifname, 'dump']);
  // Never quoted: the dump's first field is the private key.
  const dump = tryHelper(run.file, run.args);
  if (failed(dump)) throw new NetnsRunError(`reading ${ifname} in ${paths.name} with wg show failed: ${describeFailure('wg', dump)}`);
  return {
    interfaceName: ifname,
    up: (link.flags ?? []).includes('UP'),
    mtu: link.mtu ?? 0,
    addresses: (link.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
    ...parseDump(dump.stdout),
  };
}
