import { closeSync, constants, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NetnsRunError } from '../errors.js';
import type { NamespacePaths } from '../name.js';
import type { Tools } from '../tools.js';
import { describeFailure, failed, helperSucceeds, lastLine, runHelper, tryHelper } from '../helpers.js';
import { coversRecord, hostIdentity, isNamespaceMount, mntnsRecord, mountPoints, namespaceId } from './inspect.js';
import { syncCopies } from './resolver.js';
import type { Undo } from './undo.js';
import { CLONE_NEWNET, CLONE_NEWNS, MNT_DETACH, MS, syscallArgs, syscallNumbers } from '../syscalls.js';

/**
 * A nsfs file can only be bound onto a private mount: on a host where / is
 * shared (every systemd machine) the bind fails with EINVAL otherwise. So
 * the state root becomes a private mount of itself, once for every
 * namespace, as ip netns does for /run/netns. First uses of other names may
 * be doing the same: the state root's own lock serialises them.
 */
export function makeStateRootPrivate(paths: NamespacePaths, tools: Pick<Tools, 'mount' | 'umount' | 'flock'>, undo: Undo): void {
  const fd = openSync(paths.stateRoot, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    // Held until fd is closed: the lock belongs to our open file description.
    runHelper(tools.flock, ['--exclusive', '--wait', '60', '3'], `locking ${paths.stateRoot}`, { fds: [fd], timeoutMs: 70_000 });
    if (mountPoints().has(paths.stateRoot)) return;
    // Not lazily: should another namespace's mount namespace be kept in it by then, it must stay.
    undo.push(`unmount ${paths.stateRoot}`, () => {
      helperSucceeds(tools.umount, [paths.stateRoot]);
    });
    // One mount(8) does both (util-linux 2.23+).
    runHelper(tools.mount, ['--bind', '--make-private', paths.stateRoot, paths.stateRoot], `making ${paths.stateRoot} a private mount point`);
  } finally {
    closeSync(fd);
  }
}

/** Follows symlinks as far as they go, also when the last one dangles. */
export function finalTarget(path: string): string {
  let current = path;
  for (let hops = 0; hops < 40; hops += 1) {
    let st;
    try {
      st = lstatSync(current);
    } catch {
      return current;
    }
    if (!st.isSymbolicLink()) return current;
    current = resolve(dirname(current), readlinkSync(current));
  }
  throw new NetnsRunError(`${path}: too many levels of symbolic links; fix it`);
}

/**
 * A bind mount needs something to cover. Where the host has no
 * /etc/resolv.conf (or it points at a file that does not exist, as
 * systemd-resolved's stub does while resolved is down), an empty file is
 * made there: to the host's resolver an empty resolv.conf means the same as
 * none. Likewise an empty /run/nscd, so that an nscd started later on the
 * host stays hidden too.
 */
export function makeHostMountPoint(path: string, kind: 'file' | 'directory', undo: Undo): void {
  const target = finalTarget(path);
  const parent = dirname(target);
  let parentIsDir = false;
  try {
    parentIsDir = statSync(parent).isDirectory();
  } catch {
    // reported below
  }
  if (!parentIsDir) {
    throw new NetnsRunError(`${path} leads to ${target}, whose directory ${parent} does not exist; create it or repoint ${path}`);
  }
  try {
    if (kind === 'directory') {
      mkdirSync(target, { mode: 0o755 });
      undo.push(`remove ${target}`, () => rmdirSync(target));
    } else {
      closeSync(openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644));
      undo.push(`remove ${target}`, () => unlinkSync(target));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new NetnsRunError(`cannot create ${target} to mount over: ${(error as Error).message}`);
    }
  }
}

/** A mount namespace that is no longer a mount, or was made for an older network namespace, is thrown away. */
export async function removeStaleMntns(paths: NamespacePaths, tools: Pick<Tools, 'umount'>): Promise<void> {
  if (isNamespaceMount(paths.mntns)) {
    runHelper(tools.umount, [paths.mntns], `unmounting the stale ${paths.mntns}`);
  }
  for (const file of [paths.mntns, paths.mntnsFor]) {
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new NetnsRunError(`cannot remove ${file}: ${(error as Error).message}`);
    }
  }
}

// Runs inside the new mount namespace, already in the target network
// namespace, as root. Every argument is a path netns-run made or checked, or
// our own PID's mount namespace; none comes from the caller. After the fixed
// arguments come the covers (name.ts), three words each: kind, source, host
// path; files are covered read-only. Once the namespace is configured, and
// only if it really is a new one, it binds it from our mount namespace onto
// mntns (so nothing is published before it is complete) and ends: the bind
// keeps the namespace alive. Status 3: only the bind failed (see createMntns).
const SETUP_SCRIPT = `set -e
mount=$1 umount=$2 nsenter=$3 name=$4 ours=$5 mntns=$6 root=$7
shift 7
while [ $# -ge 3 ]; do
  if [ "$1" = file ]; then "$mount" -o bind,ro "$2" "$3"
  elif [ "$1" = directory ] || [ -d "$3" ]; then "$mount" --bind "$2" "$3"; fi
  shift 3
done
# Not the namespaces of others: the copy of /run/netns would take every
# ip netns add on the host from now on, and each kept mount namespace would
# hold every one made before it (a cost that grows with the square of their
# number). The host's other later mounts (/run/user/UID, media) still arrive.
for dir in /run/netns "$root"; do
  n=0; while [ $n -lt 8 ] && "$umount" --lazy "$dir" 2>/dev/null; do n=$((n + 1)); done
done
# Like ip netns exec: /sys describes the namespace's own interfaces.
"$umount" --lazy /sys 2>/dev/null || true
"$mount" -t sysfs "$name" /sys 2>/dev/null || "$mount" -t sysfs -o ro "$name" /sys
# The trap behind unshare --mount=FILE's failures: binding our own namespace instead of a new one.
if [ /proc/$$/ns/mnt -ef "$ours" ]; then echo 'the helper did not get a namespace of its own' >&2; exit 1; fi
"$nsenter" --mount="$ours" -- "$mount" --bind /proc/$$/ns/mnt "$mntns" || exit 3`;

// The same set-up in one perl process, where netns-run carries the system
// call numbers (syscalls.ts): a dozen program starts fewer on every first
// use. Arguments: the numbers (mount umount2 unshare setns), then as above
// (network namespace, ours, mntns, name, state root, covers). It enters the
// network namespace (sysfs shows the mounter's), makes a mount namespace
// of its own, configures it, checks it is new, goes back to ours and binds
// the new one onto mntns from there. Status 3: only the bind failed.
const SETUP_PERL = `my ($mount, $umount2, $unshare, $setns, $netns, $ours, $mntns, $name, $root, @covers) = @ARGV;
sub fail { print STDERR "$_[0]\\n"; exit($_[1] || 1) }
# syscall() may write to its string arguments: literals are copied first.
my ($none, $slash, $sys, $sysfs, $self) = ('none', '/', '/sys', 'sysfs', '/proc/self/ns/mnt');
open(my $net, '<', $netns) or fail("$netns: $!");
syscall($setns, fileno($net), ${CLONE_NEWNET}) == 0 or fail("entering $netns: $!");
open(my $old, '<', $ours) or fail("$ours: $!");
syscall($unshare, ${CLONE_NEWNS}) == 0 or fail("unshare: $!");
syscall($mount, $none, $slash, 0, ${MS.REC | MS.SLAVE}, 0) == 0 or fail("making / a slave mount: $!");
while (@covers >= 3) {
  my ($kind, $source, $host) = splice(@covers, 0, 3);
  if ($kind eq 'file') {
    syscall($mount, $source, $host, 0, ${MS.BIND}, 0) == 0 or fail("binding $source on $host: $!");
    syscall($mount, $none, $host, 0, ${MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC}, 0) == 0 or fail("making $host read-only: $!");
  } elsif ($kind eq 'directory' || -d $host) {
    syscall($mount, $source, $host, 0, ${MS.BIND}, 0) == 0 or fail("binding $source on $host: $!");
  }
}
my @stacked = ('/run/netns', $root);
for my $dir (@stacked) {
  for (1 .. 8) { last if syscall($umount2, $dir, ${MNT_DETACH}) != 0 }
}
syscall($umount2, $sys, ${MNT_DETACH});
syscall($mount, $name, $sys, $sysfs, 0, 0) == 0 or syscall($mount, $name, $sys, $sysfs, ${MS.RDONLY}, 0) == 0 or fail("mounting sysfs: $!");
my @new = stat($self);
my @was = stat($old);
fail('the helper did not get a namespace of its own') if $new[0] == $was[0] && $new[1] == $was[1];
open(my $made, '<', $self) or fail("$self: $!");
syscall($setns, fileno($old), ${CLONE_NEWNS}) == 0 or fail("returning to our mount namespace: $!");
my $source = '/proc/self/fd/' . fileno($made);
syscall($mount, $source, $mntns, 0, ${MS.BIND}, 0) == 0 or fail("binding the mount namespace on $mntns: $!", 3);`;

function inodeOf(path: string): bigint {
  return statSync(path, { bigint: true }).ino;
}

/** The CPUs this process may run on, from Cpus_allowed_list ("0-3,8"). */
export function allowedCpus(statusText: string): number[] {
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(statusText)?.[1] ?? '';
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || Number.isNaN(from)) continue;
    for (let cpu = from; cpu <= (to ?? from) && cpus.length < 1024; cpu += 1) cpus.push(cpu);
  }
  return cpus;
}

type HolderTools = Pick<Tools, 'nsenter' | 'unshare' | 'mount' | 'umount' | 'sh' | 'taskset' | 'perl'>;

/**
 * One try, one synchronous helper: it makes the namespace, configures it
 * and binds it onto mntns from our own mount namespace (see SETUP_SCRIPT).
 * Returns false when only the bind was refused (see below), so that the
 * caller can try again elsewhere; throws on any other failure.
 */
async function tryHoldAndBind(paths: NamespacePaths, tools: HolderTools, cpu: number | undefined): Promise<boolean> {
  const ours = `/proc/${process.pid}/ns/mnt`;
  const covers = paths.covered.flatMap(({ kind, source, host }) => [kind, source, host]);
  const numbers = syscallNumbers();
  const chain = numbers !== undefined
    ? [tools.perl, '-e', SETUP_PERL, ...syscallArgs(numbers), paths.netns, ours, paths.mntns, paths.name, paths.stateRoot, ...covers]
    : [tools.nsenter, `--net=${paths.netns}`, '--', tools.unshare, '--mount', '--propagation', 'slave', '--',
        tools.sh, '-c', SETUP_SCRIPT, 'netns-run-setup', tools.mount, tools.umount, tools.nsenter, paths.name, ours, paths.mntns, paths.stateRoot, ...covers];
  const [file, args] = cpu === undefined ? [chain[0]!, chain.slice(1)] : [tools.taskset, ['--cpu-list', String(cpu), ...chain]];
  const result = tryHelper(file, args, { stdout: 'ignore' });
  if (result.code === 3) return false;
  if (failed(result)) {
    throw new NetnsRunError(`setting up the mount namespace of ${paths.name} failed: ${lastLine(result.stderr) || describeFailure(file, result)}`);
  }
  // What is bound now must be a namespace, and not ours.
  if (!isNamespaceMount(paths.mntns) || inodeOf(paths.mntns) === inodeOf(ours)) {
    throw new NetnsRunError(`setting up the mount namespace of ${paths.name} failed: ${paths.mntns} is not a new mount namespace`);
  }
  return true;
}

/**
 * Makes the auxiliary mount namespace and keeps it alive at mntns. Not with
 * `unshare --mount=FILE`, which fails at random when itself run inside a
 * non-initial mount namespace: a helper makes and configures the namespace,
 * checks that it really is a new one, and binds it from our own mount
 * namespace (nsenter) before it ends; we check the bind. Nothing is
 * published before it is fully configured. One synchronous helper a try:
 * no process is left to hold the namespace, and none to wait for.
 *
 * The kernel refuses (EINVAL) to bind a mount namespace that looks older
 * than the binder's own, to prevent loops, and it judges age by namespace
 * ids that it hands out in per-CPU batches. Run from inside a container, a
 * holder on one CPU can get an id below the container's, again and again,
 * while one on another CPU gets a higher one. So a refused bind is tried
 * again with the holder pinned to each CPU we may use.
 */
export async function createMntns(paths: NamespacePaths, tools: HolderTools, undo: Undo): Promise<void> {
  for (const { kind, source } of paths.covered) {
    if (kind === 'file') {
      undo.push(`remove ${source}`, () => rmSync(source, { force: true }));
      continue;
    }
    try {
      mkdirSync(source, { mode: 0o755 });
      undo.push(`remove ${source}`, () => rmdirSync(source));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new NetnsRunError(`cannot create ${source}: ${(error as Error).message}`);
    }
  }
  syncCopies(paths);
  closeSync(openSync(paths.mntns, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o444));
  undo.push(`remove ${paths.mntns}`, () => unlinkSync(paths.mntns));

  const attempts: (number | undefined)[] = [undefined, ...allowedCpus(readFileSync('/proc/self/status', 'utf8'))];
  for (const cpu of attempts) {
    if (await tryHoldAndBind(paths, tools, cpu)) {
      undo.push(`unmount ${paths.mntns}`, () => {
        helperSucceeds(tools.umount, [paths.mntns]);
      });
      writeFileSync(paths.covers, coversRecord(paths), { mode: 0o644 });
      undo.push(`remove ${paths.covers}`, () => unlinkSync(paths.covers));
      writeFileSync(paths.mntnsFor, mntnsRecord(namespaceId(paths.netns)), { mode: 0o644 });
      undo.push(`remove ${paths.mntnsFor}`, () => unlinkSync(paths.mntnsFor));
      return;
    }
  }
  throw new NetnsRunError(
    `the kernel refused to keep the mount namespace of ${paths.name} at ${paths.mntns} (tried ${attempts.length} times); ` +
      'if netns-run runs in a container or a service with its own mount namespace, run it in the host\'s',
  );
}

/**
 * The host replaced a file a bind covered (resolvconf, a DHCP client or
 * systemd-resolved rename a new file over /etc/resolv.conf), and the kernel
 * dropped that bind in our mount namespace: inside, the host's resolver
 * shows again. The bind is made again inside the same namespace, so that
 * commands already running there are covered again too, not only new ones.
 */
export async function rebindReplacedCovers(paths: NamespacePaths, tools: Pick<Tools, 'nsenter' | 'mount'>): Promise<void> {
  let recorded = '';
  try {
    recorded = readFileSync(paths.covers, 'utf8');
  } catch {
    // no record: every cover counts as replaced
  }
  for (const cover of paths.covered) {
    if (recorded.includes(`${cover.host} ${hostIdentity(cover.host)}\n`)) continue;
    // Gone from the host (systemd-resolved stopped): nothing left to hide.
    if (cover.kind === 'optional-directory' && hostIdentity(cover.host) === 'missing') continue;
    const options = cover.kind === 'file' ? ['-o', 'bind,ro'] : ['--bind'];
    runHelper(tools.nsenter, [`--mount=${paths.mntns}`, '--', tools.mount, ...options, cover.source, cover.host], `covering ${cover.host} again in ${paths.name}`);
  }
  writeFileSync(paths.covers, coversRecord(paths), { mode: 0o644 });
}
