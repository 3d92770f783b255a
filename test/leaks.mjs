// The leak check of test/run.mjs: a snapshot of everything a test could
// leave on the host, whatever its name, taken before and after each file.
// What the file added is reported (one failure) and swept; what was there
// before is never touched. Watched: everything under /run/netns* and
// /etc/netns* (so /etc/netns-run* too), every mount point, /tmp/netns-run-*
// (self-elevation's hand-overs), the host's links, nft tables, users,
// groups, sudoers drop-ins, the policy file's lines and the daemons a
// tunnel or resolver test starts. It assumes nothing else changes the host
// meanwhile, as on CI. NETNS_RUN_TEST_SWEEP=0 (read by run.mjs) reports
// without sweeping, for a machine shared with other runs.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every path under DIR (lstat, no symlink followed), DIR first. */
function walk(dir) {
  const out = [dir];
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return [];
  }
  if (!st.isDirectory()) return out;
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries.sort()) out.push(...walk(join(dir, entry)));
  return out;
}

function lines(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return (result.stdout ?? '').split('\n').filter(Boolean);
}

const WATCHED_PROCESSES = new Set(['wireguard-go', 'socat', 'nscd', 'unscd', 'dnsmasq']);

/**
 * Made once and kept by design, as on any host: ip netns makes /run/netns a
 * mount of itself, netns-run does the same for /run/netns-run (its state
 * root), and /etc/netns and /etc/netns-run are where configuration goes.
 * Their contents are watched; they themselves are no leak.
 */
const PERSISTENT = new Set(['/run/netns', '/run/netns-run', '/etc/netns', '/etc/netns-run']);

/** KIND -> set of items; each item is what sweep() needs to remove it. */
export function snapshot() {
  const kinds = {};
  const add = (kind, items) => (kinds[kind] = new Set(items));
  const top = (parent, prefix) => (existsSync(parent) ? readdirSync(parent).filter((n) => n.startsWith(prefix)).map((n) => join(parent, n)) : []);
  add('path', [...top('/run', 'netns'), ...top('/etc', 'netns')].flatMap(walk).filter((p) => !PERSISTENT.has(p)));
  // Every mount point, whatever its name: a bind over a system file that a sandbox failed to keep to itself is a leak too.
  add('mount', lines('sh', ['-c', "awk '{print $5}' /proc/self/mountinfo"]).filter((m) => !PERSISTENT.has(m)));
  // Hand-over directories of self-elevation (src/handover.ts), whoever owns them: only the top level, each removed whole.
  add('tmp', top('/tmp', 'netns-run-'));
  add('link', lines('ip', ['-o', 'link', 'show']).map((l) => l.split(':')[1]?.trim().split('@')[0]).filter(Boolean));
  add('nft', lines('nft', ['list', 'tables']).map((l) => l.replace(/^table /, '')));
  add('user', lines('getent', ['passwd']).map((l) => l.split(':')[0]));
  add('group', lines('getent', ['group']).map((l) => l.split(':')[0]));
  add('sudoers', existsSync('/etc/sudoers.d') ? readdirSync('/etc/sudoers.d').map((n) => `/etc/sudoers.d/${n}`) : []);
  add('policy-line', existsSync('/etc/netns-run.conf') ? readFileSync('/etc/netns-run.conf', 'utf8').split('\n').filter(Boolean) : []);
  const procs = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      // A zombie has ended and holds nothing; a daemon's (parent: PID 1) waits for PID 1 to reap it, which on
      // these machines' init may take a while. What is left running is what counts.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      if (WATCHED_PROCESSES.has(comm)) procs.push(`${pid} ${comm}`);
    } catch {
      // gone meanwhile
    }
  }
  add('process', procs);
  return kinds;
}

/** What AFTER has that BEFORE had not, by kind. */
export function added(before, after) {
  const found = {};
  for (const [kind, items] of Object.entries(after)) {
    const extra = [...items].filter((item) => !before[kind]?.has(item));
    if (extra.length) found[kind] = extra;
  }
  return found;
}

/** Paths that are not under another of PATHS: what goes, goes with its contents. */
function topmost(paths) {
  return paths.filter((p) => !paths.some((q) => q !== p && p.startsWith(`${q}/`)));
}

/** One line; paths only as the top-most added ones, their contents implied. */
export function describeLeaks(leaks) {
  return Object.entries(leaks).map(([kind, items]) => `${kind}: ${(kind === 'path' ? topmost(items) : items).join(', ')}`).join('; ');
}

/** Removes what a file added, and nothing else. */
export function sweep(leaks) {
  const run = (command, ...args) => spawnSync(command, args, { stdio: 'ignore' });
  for (const item of leaks.process ?? []) run('kill', '-KILL', item.split(' ')[0]);
  // Deepest mounts first.
  for (const mount of [...(leaks.mount ?? [])].sort((a, b) => b.length - a.length)) run('umount', '-l', mount);
  for (const path of leaks.path ?? []) if (path.startsWith('/run/netns/')) run('ip', 'netns', 'delete', path.slice('/run/netns/'.length));
  for (const path of topmost(leaks.path ?? [])) rmSync(path, { recursive: true, force: true });
  for (const link of leaks.link ?? []) run('ip', 'link', 'delete', link);
  for (const table of leaks.nft ?? []) run('nft', 'delete', 'table', ...table.split(' '));
  for (const user of leaks.user ?? []) run('userdel', '-r', '-f', user);
  for (const group of leaks.group ?? []) run('groupdel', group);
  for (const dir of leaks.tmp ?? []) rmSync(dir, { recursive: true, force: true });
  for (const file of leaks.sudoers ?? []) rmSync(file, { force: true });
  if (leaks['policy-line'] && existsSync('/etc/netns-run.conf')) {
    const extra = new Set(leaks['policy-line']);
    const kept = readFileSync('/etc/netns-run.conf', 'utf8').split('\n').filter((line) => !extra.has(line));
    writeFileSync('/etc/netns-run.conf', kept.join('\n'));
  }
}

