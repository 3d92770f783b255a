// The adversarial suite, part 3: the process the attacker gets, and what
// they can do to netns-run while it works for them: what the target holds
// (ids, groups, capabilities, descriptors), signals and pauses sent while it
// is root and half-way through making a namespace, resource limits chosen to
// make it fail part-way, check-then-use races on what they name, and the
// "root" of their own user namespace. See attacks.test.ts for the setting.
// Racing first uses by several callers: test/kernel/concurrency.test.ts.
import { skip } from '../support/skip.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { attackRun, attackSuite, entry, plant, readMarkers, runAs, SUDO, type Attacker, type Mode, makeShared, plantRootOnlyScript, ROOT_ENV,
} from '../support/attack.js';
import { noSecret, nothingGained, nothingMade, refused, show, statusField, worked } from '../support/attack-checks.js';
import { everythingOf, mountCount, removeEverything } from '../support/kernel.js';
import { netnsRun, skipReason, uniqueName } from '../support/netns-run.js';


let SHARED = '';
let REACHABLE_ROOT_SCRIPT = '';

const suite = attackSuite('process.test', test, {
  uniqueName,
  skipReason,
  remove: removeEverything,
  async setup(a) {
    SHARED = suite.fresh('proc');
    await makeShared(SHARED);
    REACHABLE_ROOT_SCRIPT = plantRootOnlyScript(a);
  },
});

/** Shell words: the attacker runs netns-run in MODE from a script of their own ("$@" is netns-run). */
function scripted(mode: Mode, a: Attacker, script: string, args: readonly string[], env: Record<string, string> = {}) {
  return runAs(a, ['/bin/sh', '-c', script, 'attacker', ...entry(mode, a), ...args], { env, timeoutMs: 90_000 });
}

function keyValues(text: string): Map<string, string> {
  return new Map(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** netns-run and everything it made for NAME is there exactly once. */
function singular(name: string, what: string): void {
  assert.is(mountCount(`/run/netns/${name}`), 1, `${what}: mounts at /run/netns/${name}`);
  assert.is(mountCount(`/run/netns-run/${name}`), 0, `${what}: mounts at /run/netns-run/${name}`);
  assert.is(mountCount('/run/netns-run'), 1, `${what}: mounts at /run/netns-run`);
  assert.is(mountCount(`/run/netns-run/${name}/mntns`), 1, `${what}: mounts at /run/netns-run/${name}/mntns`);
}

/** Processes whose command line mentions TEXT (helpers left running, say). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push(`${entry}: ${cmdline.slice(0, 200)}`);
    } catch {
      // gone
    }
  }
  return found;
}

async function settle(name: string): Promise<void> {
  for (let i = 0; i < 100 && processesMentioning(name).length > 0; i += 1) await new Promise((r) => setTimeout(r, 50));
}

// ---- what the target holds -----------------------------------------------------------------

suite.eachMode('the target holds the attacker\'s ids in all four slots, exactly their groups, no capability, and NoNewPrivs and the bounding set as they had them', async (mode, a) => {
  const own = await runAs(a, ['cat', '/proc/self/status']);
  worked(own, 'the attacker\'s own status');
  const name = suite.fresh('caps');
  for (const round of ['first use', 'warm']) {
    const result = await attackRun(mode, a, [name, '--', 'cat', '/proc/self/status']);
    worked(result, round);
    const status = result.stdout;
    assert.equal(statusField(status, 'Uid'), Array(4).fill(String(a.user.uid)), `${round}: Uid`);
    assert.equal(statusField(status, 'Gid'), Array(4).fill(String(a.user.gid)), `${round}: Gid`);
    const groups = statusField(status, 'Groups').map(Number).sort((x, y) => x - y);
    assert.equal(groups, statusField(own.stdout, 'Groups').map(Number).sort((x, y) => x - y), `${round}: Groups`);
    assert.not.ok(groups.includes(0), `${round}: group 0`);
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapAmb']) assert.equal(statusField(status, set), ['0000000000000000'], `${round}: ${set}`);
    assert.equal(statusField(status, 'CapBnd'), statusField(own.stdout, 'CapBnd'), `${round}: CapBnd`);
    assert.equal(statusField(status, 'NoNewPrivs'), statusField(own.stdout, 'NoNewPrivs'), `${round}: NoNewPrivs`);
  }
  nothingGained(a, 'ids and capabilities');
});

suite.eachMode('the target holds only descriptors 0-2 and what the attacker passed: no lock, no policy file, nothing of root\'s', async (mode, a) => {
  const name = suite.fresh('fds');
  const wrap = ['/bin/sh', '-c', 'exec 7<"$0"; exec "$@"', join(a.home, '.profile')];
  const fdsOf = (listing: string) =>
    [...listing.matchAll(/ (\d+) -> (.*)$/gm)].map((m) => `${m[1]} -> ${m[2]}`).filter((fd) => !/ -> \/proc\/\d+\/fd$/.test(fd));
  // What the attacker holds when they start anything: the descriptors they pass, on purpose or not.
  const baseline = await runAs(a, ['ls', '-l', '/proc/self/fd'], { wrap });
  worked(baseline, 'the attacker\'s own descriptors');
  const given = fdsOf(baseline.stdout);
  assert.ok(given.some((fd) => fd.startsWith('7 -> ')), `the descriptor passed on purpose is not even in the attacker's own process: ${baseline.stdout}`);
  for (const round of ['first use', 'warm']) {
    const result = await attackRun(mode, a, [name, '--', 'ls', '-l', '/proc/self/fd'], { wrap });
    worked(result, round);
    const held = fdsOf(result.stdout);
    for (const fd of [0, 1, 2]) assert.ok(held.some((f) => f.startsWith(`${fd} -> `)), `${round}: descriptor ${fd} is missing: ${result.stdout}`);
    const extra = held.filter((fd) => Number(fd.split(' ')[0]) > 2 && !given.includes(fd));
    assert.equal(extra, [], `${round}: the target holds descriptors the attacker never had: ${result.stdout}`);
  }
  nothingGained(a, 'descriptors');
});

// ---- signals ----------------------------------------------------------------------------------

suite.eachMode('the attacker can signal their target but not a netns-run that is root (no kill, no /proc/PID/environ)', async (mode, a) => {
  const flag = join(a.work, 'pids');
  rmSync(flag, { force: true });
  const script = `"$@" & run=$!
i=0; while [ ! -s "$F" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
read target parent < "$F"
comm=$(cat /proc/$parent/comm 2>/dev/null); echo "parent-comm=$comm"
echo "parent-uid=$(awk '/^Uid:/ { print $3 }' /proc/$parent/status 2>/dev/null)"
if [ "$comm" = node ] || [ "$comm" = MainThread ]; then
  if kill -KILL "$parent" 2>/dev/null; then echo kill-parent=ok; else echo kill-parent=denied; fi
  if cat /proc/$parent/environ >/dev/null 2>&1; then echo environ=read; else echo environ=denied; fi
fi
if kill -TERM "$target" 2>/dev/null; then echo target-signal=ok; else echo target-signal=denied; fi
wait $run; echo "rc=$?"`;
  const result = await scripted(mode, a, script, [SHARED, '--', '/bin/sh', '-c', `echo "$$ $PPID" > ${flag}.new && mv ${flag}.new ${flag}; exec sleep 60`], { F: flag });
  const facts = keyValues(result.stdout);
  assert.is(facts.get('target-signal'), 'ok', `the attacker could not signal their own target: ${show(result)}`);
  if (facts.get('parent-comm') === 'node' || facts.get('parent-comm') === 'MainThread') {
    // The spawn path (Node without execve): netns-run waits as root.
    assert.is(facts.get('parent-uid'), '0', `netns-run is not root while it waits: ${show(result)}`);
    assert.is(facts.get('kill-parent'), 'denied', `the attacker killed netns-run: ${show(result)}`);
    assert.is(facts.get('environ'), 'denied', `the attacker read netns-run's environment: ${show(result)}`);
  } else {
    // The execve path: no netns-run is left; the target's parent is the attacker's own shell or sudo.
    assert.ok(['sh', 'sudo', 'dash'].includes(facts.get('parent-comm') ?? ''), `unexpected parent: ${show(result)}`);
  }
  assert.is(facts.get('rc'), '143', `the run did not end with its target's SIGTERM: ${show(result)}`);
  rmSync(flag, { force: true });
  nothingGained(a, 'signals');
}, ['sudo', 'setuid']);

suite.eachMode('signals at every point of a first use (TERM, INT, HUP, relayed by sudo or sent straight): the next call repairs whatever is left, one of everything', async (mode, a) => {
  const timing = suite.fresh('sigtime');
  const started = Date.now();
  worked(await attackRun(mode, a, [timing, '--', 'true']), 'an uninterrupted first use');
  const span = Date.now() - started;
  removeEverything(timing);
  const signals = ['TERM', 'INT', 'HUP'];
  const notes: string[] = [];
  for (let i = 1; i <= 9; i += 1) {
    const name = suite.fresh('sig');
    const delay = ((span * i) / 10 / 1000).toFixed(3);
    const signal = signals[i % signals.length]!;
    try {
      const result = await scripted(mode, a, `"$@" & p=$!; sleep ${delay}; if kill -${signal} $p 2>/dev/null; then echo sent=yes; else echo sent=no; fi; wait $p; echo "rc=$?"`, [name, '--', 'true']);
      await settle(name);
      notes.push(`${delay}s SIG${signal}: ${keyValues(result.stdout).get('sent')} ${keyValues(result.stdout).get('rc')} left [${everythingOf(name).join(', ')}]`);
      const again = await attackRun(mode, a, [name, '--', 'id', '-u']);
      worked(again, `the call after SIG${signal} at ${delay}s (${notes.at(-1)})`);
      assert.is(again.stdout.trim(), String(a.user.uid));
      singular(name, `after SIG${signal} at ${delay}s`);
      await settle(name);
      assert.equal(processesMentioning(name), [], `after SIG${signal} at ${delay}s: helpers still running`);
    } finally {
      removeEverything(name);
    }
  }
  nothingGained(a, `signals during first use (${notes.join('; ')})`);
}, ['sudo', 'setuid']);

/** The flock(2) locks /proc/locks shows on PATH's inode. */
function locksOn(path: string): number {
  let ino: number;
  try {
    ino = statSync(path).ino;
  } catch {
    return 0;
  }
  return readFileSync('/proc/locks', 'utf8').split('\n').filter((line) => /\bFLOCK\b/.test(line) && line.split(/\s+/).some((f) => f.endsWith(`:${ino}`))).length;
}

function stoppedMentioning(text: string): boolean {
  return processesMentioning(text).some((line) => {
    const pid = line.split(':')[0]!;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // netns-run itself: not sudo (which stops along), whatever Node calls its main thread.
      return /^[Tt]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)) && readlinkSync(`/proc/${pid}/exe`) !== SUDO;
    } catch {
      return false;
    }
  });
}

suite.eachMode('pausing netns-run half-way through a first use (SIGTSTP, which sudo relays) keeps no one else from the namespace', async (mode, a) => {
  const timing = suite.fresh('stptime');
  const started = Date.now();
  worked(await attackRun(mode, a, [timing, '--', 'true']), 'an uninterrupted first use');
  const span = Date.now() - started;
  removeEverything(timing);
  for (let i = 2; i <= 14; i += 1) {
    const name = suite.fresh('stop');
    const flag = join(a.work, `pause-${i}`);
    const delay = ((span * i) / 16 / 1000).toFixed(3);
    const script = `"$@" & p=$!; sleep ${delay}; kill -TSTP $p 2>/dev/null; sleep 0.3; : > "$F.paused"
i=0; while [ ! -e "$F.release" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
kill -CONT $p 2>/dev/null; wait $p; echo "rc=$?"`;
    const run = scripted(mode, a, script, [name, '--', 'true'], { F: flag });
    try {
      for (let t = 0; t < 200 && !existsSync(`${flag}.paused`); t += 1) await new Promise((r) => setTimeout(r, 25));
      if (!stoppedMentioning(name) || locksOn(`/run/netns-run/${name}`) === 0) continue;
      // The attacker holds the first-use lock and sleeps on it. Anyone else's first use must still get through.
      const other = await netnsRun([name, '--', 'id', '-u'], { env: ROOT_ENV, timeoutMs: 10_000 });
      assert.ok(other.code === 0 && other.stdout === '0\n', `while the attacker's netns-run sat paused holding the lock (${delay}s in), root's call on ${name} did not get through within 10 s (it waits up to 60 s for the lock, then fails): ${show(other)}`);
      return;
    } finally {
      plant(a, `${flag}.release`, '');
      await run;
      removeEverything(name);
      rmSync(`${flag}.paused`, { force: true });
      rmSync(`${flag}.release`, { force: true });
    }
  }
  // Thirteen points across a whole first use and never paused while holding the lock (never paused at all, or
  // only before or after it): the attack failed. Without a defence it lands within the first few points.
}, ['sudo']);

// ---- resource limits -----------------------------------------------------------------------

suite.eachMode('resource limits chosen to make netns-run fail part-way (file size 0, few descriptors, little memory or stack, cores on): one-line failure or a crash of their own call, no core of root\'s, and the next call repairs everything', async (mode, a) => {
  const limits = [['--fsize=0'], ['--nofile=40:40'], ['--nofile=60:60'], ['--nofile=90:90'], ['--core=unlimited', '--as=400000000'], ['--core=unlimited', '--stack=100000'], ['--core=unlimited', '--data=60000000'], ['--nproc=1']];
  const notes: string[] = [];
  for (const limit of limits) {
    const name = suite.fresh('rlim');
    try {
      const limited = await attackRun(mode, a, [name, '--', 'id', '-u'], { wrap: ['prlimit', ...limit, '--'] });
      await settle(name);
      notes.push(`${limit.join(' ')}: exit ${limited.code ?? limited.signal}, left [${everythingOf(name).join(', ')}]`);
      if (limited.code === 125) refused(limited, `under ${limit.join(' ')}`);
      if (limited.code === 0) assert.is(limited.stdout.trim(), String(a.user.uid), `under ${limit.join(' ')}`);
      assert.equal(readdirSync(a.work).filter((f) => /^core/.test(f)), [], `under ${limit.join(' ')}: a core file`);
      const again = await attackRun(mode, a, [name, '--', 'id', '-u']);
      worked(again, `the call after ${limit.join(' ')} (${notes.at(-1)})`);
      assert.is(again.stdout.trim(), String(a.user.uid));
      singular(name, `after ${limit.join(' ')}`);
    } finally {
      removeEverything(name);
    }
  }
  nothingGained(a, `resource limits (${notes.join('; ')})`);
}, ['sudo', 'setuid']);

suite.eachMode('a caller\'s file-size limit never cuts a file that everyone in the namespace reads: after an edit, the copy is whole or the run is refused in one line', async (mode, a) => {
  const name = suite.fresh('fsize');
  try {
    worked(await attackRun(mode, a, [name, '--', 'true']), 'first use');
    const copies = [`/run/netns-run/${name}/resolv.conf`, `/run/netns-run/${name}/nsswitch.conf`];
    for (const [limit, mustWork] of [[['--fsize=19:unlimited'], true], [['--fsize=19'], false], [['--fsize=0'], false]] as const) {
      // The administrator edits both files; the next call brings the copies the binds show up to date.
      const edited = [`# ${limit.join(' ')}: edited by the administrator, longer than any limit here\nnameserver 192.0.2.53\nnameserver 192.0.2.54\noptions edns0 timeout:1\n`,
        `# ${limit.join(' ')}: edited\npasswd: files\ngroup: files\nhosts: files dns\n`];
      const before = copies.map((copy) => readFileSync(copy, 'utf8'));
      writeFileSync(`/etc/netns/${name}/resolv.conf`, edited[0]!, { mode: 0o644 });
      writeFileSync(`/etc/netns/${name}/nsswitch.conf`, edited[1]!, { mode: 0o644 });
      const limited = await attackRun(mode, a, [name, '--', 'true'], { wrap: ['prlimit', ...limit, '--'] });
      const after = copies.map((copy) => readFileSync(copy, 'utf8'));
      if (limited.code === 0) assert.equal(after, edited, `${limit.join(' ')}: a copy was cut (${show(limited)})`);
      else {
        // Where root cannot raise a hard limit (no CAP_SYS_RESOURCE) the run is refused before anything is written.
        refused(limited, `under ${limit.join(' ')}`);
        assert.match(limited.stderr, /resource limits \(file size \d+\)/);
        assert.equal(after, before, `${limit.join(' ')}: refused, yet a copy changed`);
      }
      // A soft limit alone never stops root: it raises it to the hard one.
      if (mustWork) worked(limited, `under ${limit.join(' ')}`);
      worked(await attackRun(mode, a, [name, '--', 'true']), `the call after ${limit.join(' ')}`);
      assert.equal(copies.map((copy) => readFileSync(copy, 'utf8')), edited, `after ${limit.join(' ')}`);
    }
  } finally {
    removeEverything(name);
  }
}, ['sudo', 'setuid', 'self']);

suite.eachMode('the command gets the caller\'s own limits back, whatever root\'s set-up used', async (mode, a) => {
  const name = suite.fresh('rlback');
  try {
    const limited = await attackRun(mode, a, [name, '--', 'cat', '/proc/self/limits'], { wrap: ['prlimit', '--fsize=4096000:unlimited', '--as=8000000000:unlimited', '--core=1024:unlimited', '--'] });
    worked(limited, 'with limits of their own');
    const row = (name: string) => limited.stdout.split('\n').find((line) => line.startsWith(name))?.split(/\s{2,}/).slice(1, 3);
    assert.equal(row('Max file size'), ['4096000', 'unlimited']);
    assert.equal(row('Max address space'), ['8000000000', 'unlimited']);
    // (Not the soft limit on open files: Node itself raises it to the hard one when it starts.)
    assert.equal(row('Max core file size'), ['1024', 'unlimited']);
  } finally {
    removeEverything(name);
  }
  // Through sudo, what the command gets is sudo's decision (its rlimit_* settings), not netns-run's.
}, ['setuid']);

// ---- races on what the attacker names ------------------------------------------------------------

/** Flips LINK between A and B as the attacker until stop() (at most 60 s). */
function flipper(a: Attacker, link: string, one: string, two: string): { done: Promise<unknown>; stop(): void } {
  const stopFile = `${link}.stop`;
  rmSync(stopFile, { force: true });
  const done = runAs(a, ['/bin/sh', '-c', `end=$(($(date +%s) + 60)); while [ ! -e "$0.stop" ] && [ $(date +%s) -lt $end ]; do ln -sfn "$1" "$0.new" && mv -T "$0.new" "$0"; ln -sfn "$2" "$0.new" && mv -T "$0.new" "$0"; done; rm -f "$0.stop" "$0.new"`, link, one, two], { timeoutMs: 70_000 });
  return { done, stop: () => plant(a, stopFile, '') };
}

suite.eachMode('--chdir through a symlink the attacker flips between their directory and root\'s: the target never starts in root\'s directory', async (mode, a) => {
  const link = join(a.evil, 'flip-dir');
  symlinkSync(a.work, link);
  spawnSync('chown', ['-h', `${a.user.uid}:${a.user.gid}`, link]);
  const flip = flipper(a, link, a.work, join(a.rootOnly, 'dir'));
  const outcomes = { refused: 0, ran: 0 };
  try {
    for (let i = 0; i < 12; i += 1) {
      const result = await attackRun(mode, a, ['--chdir', link, SHARED, '--', '/bin/sh', '-c', 'readlink /proc/$$/cwd; cat file 2>/dev/null; true']);
      noSecret(a, result, `run ${i}`);
      if (result.code === 0) {
        outcomes.ran += 1;
        assert.is(result.stdout, `${a.work}\n`, `run ${i}: the target started elsewhere`);
      } else {
        outcomes.refused += 1;
        assert.ok(result.code === 125, `run ${i}: ${show(result)}`);
        assert.not.ok(result.stdout.includes(a.rootOnly), `run ${i}: ${show(result)}`);
      }
    }
  } finally {
    flip.stop();
    await flip.done;
    rmSync(link, { force: true });
  }
  nothingGained(a, `chdir race (${outcomes.ran} ran, ${outcomes.refused} refused)`);
}, ['sudo', 'setuid']);

suite.eachMode('a command symlink the attacker flips between their script and a 0700 root script: root\'s script never runs', async (mode, a) => {
  const link = join(a.evil, 'flip-cmd');
  const mine = join(a.evil, 'bin', 'true');
  symlinkSync(mine, link);
  spawnSync('chown', ['-h', `${a.user.uid}:${a.user.gid}`, link]);
  const flip = flipper(a, link, mine, REACHABLE_ROOT_SCRIPT);
  const outcomes = { refused: 0, ran: 0 };
  try {
    for (let i = 0; i < 12; i += 1) {
      // Any ending is the attacker's business (sh may find root's script where theirs was and fail to read it); running root's script is not.
      const result = await attackRun(mode, a, [SHARED, '--', link]);
      if (result.code === 0) outcomes.ran += 1;
      else outcomes.refused += 1;
      noSecret(a, result, `run ${i}`);
    }
  } finally {
    flip.stop();
    await flip.done;
    rmSync(link, { force: true });
  }
  assert.equal(readMarkers(a).filter((m) => m.what.startsWith('ran:')), [], 'root\'s script ran');
  nothingGained(a, `command race (${outcomes.ran} ran, ${outcomes.refused} refused)`);
}, ['sudo', 'setuid']);

// ---- a user namespace of the attacker's own ---------------------------------------------------------

suite.attack('"root" of the attacker\'s own user namespace is nobody to netns-run: nothing is made, nothing taken down, the setuid copy is no help there', async (a) => {
  const probe = await runAs(a, ['unshare', '-Ur', 'id', '-u']);
  if (probe.code !== 0 || probe.stdout.trim() !== '0') {
    skip(`unprivileged user namespaces are off here (${probe.stderr.trim()}): the attack cannot even start`);
  }
  const fresh = suite.fresh('userns');
  const before = everythingOf(SHARED);
  const tries: [string, string[]][] = [
    ['run', ['unshare', '-Ur', ...entry('self', a), fresh, '--', 'id', '-u']],
    ['--ensure', ['unshare', '-Ur', ...entry('self', a), '--ensure', fresh]],
    ['--down --force', ['unshare', '-Ur', ...entry('self', a), '--down', SHARED, '--force']],
    ['the setuid copy', ['unshare', '-Ur', ...entry('setuid', a), fresh, '--', 'id', '-u']],
    ['a policy of their own', ['unshare', '-Urm', '/bin/sh', '-c', `printf 'allow ALL * create\\n' > ${a.evil}/own-policy; mount --bind ${a.evil}/own-policy /etc/netns-run.conf && exec "$@"`, 'sh', ...entry('self', a), fresh, '--', 'id', '-u']],
  ];
  for (const [what, words] of tries) {
    const result = await runAs(a, words);
    // netns-run's own refusal (125, one line), not a crash or a missing command.
    refused(result, `${what} in the attacker's user namespace`);
  }
  nothingMade(fresh, 'user namespace');
  assert.equal(everythingOf(SHARED), before, 'the existing namespace changed');
  worked(await attackRun('sudo', a, [SHARED, '--', 'true']), 'the existing namespace still works');
  nothingGained(a, 'user namespace');
});

test.run();
