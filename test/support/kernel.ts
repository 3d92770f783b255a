// Reading the kernel's own answers about namespaces and mounts, for the
// kernel tests: inodes of nsfs files, the mount table, link flags. Nothing
// here changes the machine except withNamespace(), which always removes
// what it names.
import { spawn } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statfsSync, statSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { removeNamespace, sh, trySh, uniqueName, type Result } from './netns-run.js';

/** statfs(2) f_type of nsfs: what a bound /proc/PID/ns/* file shows. */
const NSFS_MAGIC = 0x6e736673;

export function isNsfs(path: string): boolean {
  try {
    return statfsSync(path).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

export function inode(path: string): string {
  return String(statSync(path, { bigint: true }).ino);
}

/** "dev:ino", the way netns-run records which network namespace a mount namespace belongs to. */
export function namespaceId(path: string): string {
  const st = statSync(path, { bigint: true });
  return `${st.dev}:${st.ino}`;
}

/**
 * The namespace a record of netns-run's (mntns.for, created-netns) names, as
 * "dev:ino": its first two fields, so that the record may carry more.
 */
export function recordedNamespace(path: string): string {
  return readFileSync(path, 'utf8').trim().split(':').slice(0, 2).join(':');
}

/** What readlink(/proc/PID/ns/KIND) shows for the namespace bound at PATH: "net:[123]". */
export function nsLink(kind: 'net' | 'mnt', path: string): string {
  return `${kind}:[${inode(path)}]`;
}

export function ownNamespace(kind: 'net' | 'mnt'): string {
  return readlinkSync(`/proc/self/ns/${kind}`);
}

/** Mount points of the test's own (the host's) mount namespace, one entry per mountinfo line. */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => Boolean(field))
    .map((field) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
}

/** How many mounts sit exactly at PATH (stacked mounts count once each). */
export function mountCount(path: string): number {
  return mountPoints().filter((point) => point === path).length;
}

/** Mounts at or under any path that mentions the name: none must be left after a failure. */
export function mountsMentioning(text: string): string[] {
  return mountPoints().filter((point) => point.includes(text));
}

export function netnsList(): string[] {
  return sh('ip netns list')
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name): name is string => Boolean(name));
}

/** The link's flags as iproute2 reports them inside namespace NAME (e.g. LOOPBACK, UP, LOWER_UP). */
export function linkFlags(name: string, device: string): string[] {
  const [link] = JSON.parse(sh(`ip -n ${name} -j link show dev ${device}`)) as { flags: string[] }[];
  assert.ok(link, `no ${device} in ${name}`);
  return link!.flags;
}

/** PIDs of processes in the namespace shown as LINK ("net:[123]"). */
export function processesIn(link: string, kind: 'net' | 'mnt' = 'net'): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/${kind}`) === link) pids.push(Number(entry));
    } catch {
      // gone, or a kernel thread
    }
  }
  return pids;
}

/** Polls for an eventual state (a process exiting): returns as soon as it holds, false after the bound. */
export async function eventually(condition: () => boolean, boundMs = 10_000): Promise<boolean> {
  const until = Date.now() + boundMs;
  for (;;) {
    if (condition()) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Keeps the namespace bound at PATH alive with a sleeping process in it, so
 * that its inode number cannot be handed to a newer namespace: comparing
 * inode numbers then tells old from new. The process dies with the test
 * (pdeathsig) should release() never be called.
 */
export async function holdNamespace(kind: 'net' | 'mnt', path: string): Promise<{ release(): void }> {
  const link = nsLink(kind, path);
  const child = spawn('nsenter', [`--${kind === 'mnt' ? 'mount' : 'net'}=${path}`, '--', 'setpriv', '--pdeathsig=SIGKILL', '--', 'sleep', '600'], { stdio: 'ignore' });
  const release = () => {
    child.kill('SIGKILL');
  };
  if (!(await eventually(() => child.pid !== undefined && processesIn(link, kind).includes(child.pid)))) {
    release();
    throw new Error(`could not hold ${path}: no process entered it`);
  }
  return { release };
}

/**
 * removeNamespace(), after taking off every mount at or under NAME's paths,
 * however many are stacked there: a broken netns-run may have made several,
 * and a test must clean up after exactly those failures too.
 */
export function removeEverything(name: string): void {
  const paths = [`/run/netns-run/${name}`, `/run/netns/${name}`];
  for (let round = 0; round < 100; round += 1) {
    const mounted = mountPoints().filter((point) => paths.some((path) => point === path || point.startsWith(`${path}/`)));
    if (mounted.length === 0) break;
    // Deepest first; a lazy unmount cannot fail on a busy mount.
    const deepest = mounted.sort((a, b) => b.length - a.length)[0]!;
    trySh(`umount -l '${deepest}'`);
  }
  removeNamespace(name);
}

/** Runs body with a fresh nrt-* name and removes everything made for it afterwards, also when body throws. */
export async function withNamespace(tag: string, body: (name: string) => Promise<void>): Promise<void> {
  const name = uniqueName(tag);
  try {
    await body(name);
  } finally {
    removeEverything(name);
  }
}

/** netns-run succeeded: says what it printed when it did not. */
export function assertRan(result: Result, what: string): void {
  assert.is(result.code, 0, `${what}: exit ${result.code} signal ${result.signal}, stderr: ${result.stderr}`);
}

/** An error of netns-run's own: one line starting "netns-run: ", no stack trace. */
export function assertOneErrorLine(result: Result, status: number, what: string): void {
  assert.is(result.code, status, `${what}: exit ${result.code}, stderr: ${result.stderr}`);
  assert.ok(result.stderr.endsWith('\n'), `${what}: stderr does not end with a newline: ${JSON.stringify(result.stderr)}`);
  const lines = result.stderr.slice(0, -1).split('\n');
  assert.is(lines.length, 1, `${what}: stderr has ${lines.length} lines: ${JSON.stringify(result.stderr)}`);
  assert.match(lines[0]!, /^netns-run: \S/, `${what}: ${JSON.stringify(result.stderr)}`);
  assert.not.match(result.stderr, /\bat .*:\d+:\d+\)?$/m, `${what}: stack trace on stderr`);
  assert.is(result.stdout, '', `${what}: printed on stdout`);
}

/** Is there anything at PATH (a dangling symlink counts)? */
export function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Everything that exists for NAME: its paths under /run and /etc, mounts at or under them, and ip's list. */
export function everythingOf(name: string): string[] {
  const paths = [`/run/netns/${name}`, `/run/netns-run/${name}`, `/etc/netns/${name}`, `/run/lock/netns-run/${name}.lock`];
  const found = paths.filter(present);
  for (const point of mountPoints()) if (paths.some((path) => point === path || point.startsWith(`${path}/`))) found.push(`mount ${point}`);
  if (netnsList().includes(name)) found.push(`ip netns list: ${name}`);
  return found;
}

/** Anything under the directories netns-run writes to, or any mount, whose name contains TEXT. */
export function anythingMentioning(text: string): string[] {
  const found: string[] = [];
  for (const dir of ['/run', '/run/netns', '/etc', '/etc/netns', '/run/lock', '/run/lock/netns-run']) {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const entry of entries) if (entry.includes(text)) found.push(`${dir}/${entry}`);
  }
  for (const point of mountPoints()) if (point.includes(text)) found.push(`mount ${point}`);
  return found;
}

/** Lists a directory, or says it is missing. */
export function listing(dir: string): string[] {
  const result = trySh(`ls -A ${dir}`);
  return result.status === 0 ? result.stdout.split('\n').filter(Boolean).sort() : ['(missing)'];
}

/** Alive means it exists and is not a zombie waiting for a reaper. */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
