// Who the target runs as, for real: root calling directly, and a real
// unprivileged user calling through real sudo (a sudoers drop-in allows
// exactly `sudo -n NODE BIN ...`). Also the early refusals that come from
// checking what the caller names with the caller's own rights: 125 for a
// directory they cannot enter, 126 for a file they cannot execute, 127 for a
// missing command, 125 without root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { BIN, NODE, NODE_DIR, isRoot, netnsRun, removeNamespace, runProgram, sh, skipReason, uniqueName, type Result } from '../support/netns-run.js';
import { running } from '../support/kernel.js';
import { cleanEnv, createTestUser, sudoMissing, type TestUser } from '../support/user.js';

/** The test's own environment without the ~90 ms NODE_EXTRA_CA_CERTS costs every Node start. */
const ENV: NodeJS.ProcessEnv = { ...process.env };
delete ENV.NODE_EXTRA_CA_CERTS;

const NAME = uniqueName('caller');
/** A fresh namespace for the descriptor test, so its run takes the first-use path (lock, helpers). */
const FRESH = uniqueName('callerfd');

const rootSkip = isRoot ? undefined : 'not root: netns-run needs root to make namespaces';
const sudoSkip = rootSkip ?? sudoMissing();
if (rootSkip) skipReason(`caller tests as root: ${rootSkip}`);
if (sudoSkip) skipReason(`caller tests through sudo: ${sudoSkip}`);
const asRoot = rootSkip ? test.skip : test;
const viaSudo = sudoSkip ? test.skip : test;

/** Everything the fixture made; a failure to make it fails every sudo test with its reason. */
let user: TestUser | undefined;
let setupError: unknown;
let scratch = '';
let workDir = '';

function need(): TestUser {
  if (setupError !== undefined) throw setupError;
  if (user === undefined) throw new Error('test user was not created');
  return user;
}

test.before(() => {
  if (sudoSkip) return;
  try {
    user = createTestUser();
    // A directory the user owns, to start from.
    workDir = `${user.home}/work`;
    mkdirSync(workDir, { mode: 0o755 });
    chownSync(workDir, user.uid, user.gid);
    // Root's scratch: readable by all, holding a 0700 root directory and a 0700 root script.
    scratch = mkdtempSync('/tmp/nrt-caller-');
    chmodSync(scratch, 0o755);
    mkdirSync(`${scratch}/private/sub`, { recursive: true });
    chmodSync(`${scratch}/private`, 0o700);
    writeFileSync(`${scratch}/root-only.sh`, '#!/bin/sh\necho the script ran\n', { mode: 0o700 });
  } catch (error) {
    setupError = error;
  }
});

test.after(() => {
  removeNamespace(NAME);
  removeNamespace(FRESH);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  user?.cleanup();
});

/** One line on stderr, `netns-run: ...`, matching PATTERN. */
function assertOneLine(result: Result, pattern: RegExp): void {
  assert.ok(result.stderr.startsWith('netns-run: '), `stderr does not start with "netns-run: ": ${JSON.stringify(result.stderr)}`);
  assert.ok(result.stderr.endsWith('\n') && result.stderr.indexOf('\n') === result.stderr.length - 1, `not one line: ${JSON.stringify(result.stderr)}`);
  assert.match(result.stderr, pattern);
}

function assertRan(result: Result): void {
  assert.is(result.code, 0, `netns-run failed (${result.code}, ${result.signal}): ${result.stderr}`);
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}


/** Polls until COND holds; throws naming WHAT if it never does (a guard against hanging, not a timing check). */
async function waitFor(cond: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** KEY=VALUE lines into a map. */
function parseEnv(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) map.set(line.slice(0, at), line.slice(at + 1));
  }
  return map;
}

// ---- as root ---------------------------------------------------------------

asRoot('as root, the target runs as uid 0', async () => {
  const result = await netnsRun([NAME, '--', 'id'], { env: ENV });
  assertRan(result);
  assert.match(result.stdout, /^uid=0\(root\) gid=0\(root\) /);
});

asRoot('LD_LIBRARY_PATH and TMPDIR set by the caller reach the target unchanged', async () => {
  const result = await netnsRun([NAME, '--', 'env'], {
    env: { ...ENV, LD_LIBRARY_PATH: '/nonexistent', TMPDIR: '/x', GCONV_PATH: '/a b=c' },
  });
  assertRan(result);
  const env = parseEnv(result.stdout);
  assert.is(env.get('LD_LIBRARY_PATH'), '/nonexistent');
  assert.is(env.get('TMPDIR'), '/x');
  assert.is(env.get('GCONV_PATH'), '/a b=c');
});

asRoot('a missing command ends with 127 and one line', async () => {
  const inPath = await netnsRun([NAME, '--', `nrt-no-such-command-${process.pid}`], { env: ENV });
  assert.is(inPath.code, 127, inPath.stderr);
  assertOneLine(inPath, /nrt-no-such-command-\d+.*not found/);
  const withSlash = await netnsRun([NAME, '--', `/nonexistent-${process.pid}/cmd`], { env: ENV });
  assert.is(withSlash.code, 127, withSlash.stderr);
  assertOneLine(withSlash, /\/nonexistent-\d+\/cmd/);
});

// ---- a real user through real sudo -----------------------------------------

/** One sudo run that reports ids, directory and environment of the target (sh, $$). */
let identity: Promise<Result> | undefined;
function identityRun(): Promise<Result> {
  const u = need();
  identity ??= u.sudoNetnsRun(
    [NAME, '--', 'sh', '-c', 'echo "uid=$(id -u)"; echo "gid=$(id -g)"; echo "groups=$(id -G)"; echo "cwd=$(readlink /proc/$$/cwd)"; echo @env; tr "\\0" "\\n" </proc/$$/environ'],
    { cwd: workDir },
  );
  return identity;
}

async function identityFacts(): Promise<{ facts: Map<string, string>; env: Map<string, string> }> {
  const result = await identityRun();
  assertRan(result);
  const [head, tail] = result.stdout.split('@env\n') as [string, string | undefined];
  assert.ok(tail !== undefined, `no environment in ${JSON.stringify(result.stdout)}`);
  return { facts: parseEnv(head), env: parseEnv(tail!) };
}

viaSudo('through sudo, the target has the user\'s uid and primary gid', async () => {
  const u = need();
  const { facts } = await identityFacts();
  assert.is(facts.get('uid'), String(u.uid));
  assert.is(facts.get('gid'), String(u.gid));
});

viaSudo('through sudo, the target has exactly the user\'s groups: the supplementary one, not root\'s', async () => {
  const u = need();
  const { facts } = await identityFacts();
  const groups = (facts.get('groups') ?? '').split(' ').map(Number).sort((a, b) => a - b);
  assert.equal(groups, [u.gid, u.groupGid].sort((a, b) => a - b), `id -G printed ${facts.get('groups')}`);
});

viaSudo('through sudo, HOME, USER, LOGNAME and SHELL are the user\'s own', async () => {
  const u = need();
  const { env } = await identityFacts();
  // sudo sets them to root's (HOME=/root, USER=root, SHELL=/bin/bash); the user's shell differs from root's.
  assert.is(env.get('HOME'), u.home);
  assert.is(env.get('USER'), u.name);
  assert.is(env.get('LOGNAME'), u.name);
  assert.is(env.get('SHELL'), u.shell);
});

viaSudo('through sudo, no SUDO_* variable reaches the target and NETNS_RUN_NAME is set', async () => {
  const { env } = await identityFacts();
  const leaked = [...env.keys()].filter((key) => key.startsWith('SUDO_'));
  assert.equal(leaked, [], `leaked: ${leaked.join(' ')}`);
  assert.is(env.get('NETNS_RUN_NAME'), NAME);
});

viaSudo('through sudo, the target starts in the user\'s current directory', async () => {
  const { facts } = await identityFacts();
  assert.is(facts.get('cwd'), workDir);
});

/** The four capability sets of /proc/PID/status. */
function capabilities(status: string): Record<string, string | undefined> {
  return Object.fromEntries([...status.matchAll(/^(Cap\w+):\s+([0-9a-f]+)$/gm)].map((m) => [m[1], m[2]]));
}

function assertNoCapabilities(result: Result): void {
  assertRan(result);
  const caps = capabilities(result.stdout);
  for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapAmb']) assert.is(caps[set], '0000000000000000', `${set} is ${caps[set]}`);
}

viaSudo('through sudo, the target holds no capability', async () => {
  const u = need();
  // The target is cat itself, so /proc/self is the target.
  assertNoCapabilities(await u.sudoNetnsRun([NAME, '--', 'cat', '/proc/self/status'], { cwd: workDir }));
});

viaSudo('for a user, inheritable and ambient capabilities netns-run was given do not reach the target', async () => {
  const u = need();
  // sudo drops inheritable capabilities itself, so this runs netns-run as
  // pkexec would (root, PKEXEC_UID naming the user) under a setpriv that
  // gives it an inheritable and an ambient capability. An inheritable one
  // survives setpriv --reuid and every exec unless netns-run clears it.
  const setpriv = sh('command -v setpriv').trim();
  const given = [setpriv, '--inh-caps=+net_admin', '--ambient-caps=+net_admin', '--', NODE, BIN, NAME, '--', 'cat', '/proc/self/status'];
  const control = await runProgram(given[0]!, given.slice(1), { env: cleanEnv(), cwd: workDir });
  assertRan(control);
  // The capability does reach a root target, which keeps what it has: so it is there to be dropped.
  assert.is(capabilities(control.stdout).CapInh, '0000000000001000', control.stdout);
  assertNoCapabilities(await runProgram(given[0]!, given.slice(1), { env: cleanEnv({ PKEXEC_UID: String(u.uid) }), cwd: workDir }));
});

viaSudo('through sudo, the target holds only descriptors 0, 1 and 2 (first use of a namespace)', async () => {
  const u = need();
  // ls is the target; the one more descriptor it may hold is its own open /proc/self/fd.
  const result = await u.sudoNetnsRun([FRESH, '--', 'ls', '-l', '/proc/self/fd'], { cwd: workDir });
  assertRan(result);
  const fds = [...result.stdout.matchAll(/ (\d+) -> (.*)$/gm)].map((m) => ({ fd: Number(m[1]), target: m[2]! }));
  const numbers = fds.map((f) => f.fd);
  for (const fd of [0, 1, 2]) assert.ok(numbers.includes(fd), `descriptor ${fd} is missing: ${result.stdout}`);
  const extra = fds.filter((f) => f.fd > 2 && !/^\/proc\/\d+\/fd$/.test(f.target));
  assert.equal(extra, [], `the target inherited more: ${result.stdout}`);
  assert.ok(fds.length <= 4, result.stdout);
});

viaSudo('through sudo, a directory the user cannot enter ends with 125 and one line naming it', async () => {
  const u = need();
  // The run starts (as root) inside the directory: runuser and sudo keep that working directory.
  const notEnterable = `${scratch}/private`;
  const shut = await u.sudoNetnsRun([NAME, '--', 'pwd'], { cwd: notEnterable });
  assert.is(shut.code, 125, shut.stderr);
  assert.is(shut.stdout, '');
  assertOneLine(shut, new RegExp(`"${notEnterable}"`));
  const unreachable = `${scratch}/private/sub`;
  const behind = await u.sudoNetnsRun([NAME, '--', 'pwd'], { cwd: unreachable });
  assert.is(behind.code, 125, behind.stderr);
  assert.is(behind.stdout, '');
  assertOneLine(behind, new RegExp(`"${unreachable}"`));
});

viaSudo('through sudo, a command the user may not execute ends with 126 and one line', async () => {
  const u = need();
  const script = `${scratch}/root-only.sh`;
  const result = await u.sudoNetnsRun([NAME, '--', script], { cwd: workDir });
  assert.is(result.code, 126, result.stderr);
  assert.is(result.stdout, '');
  assertOneLine(result, new RegExp(`${script}.*permission denied|permission denied.*${script}`, 'i'));
});

viaSudo('through sudo, the target is netns-run\'s own process: sudo is its parent and no Node is left', async () => {
  const u = need();
  // The launcher shell that sudo started execs the chain, so there is no
  // netns-run process left whose death could orphan the target (Node's own
  // spawn path, with setpriv --pdeathsig, is test/kernel/exec.test.ts).
  const pidFile = `${workDir}/target.pid`;
  const run = u.sudoNetnsRun([NAME, '--', 'sh', '-c', `echo $$ $PPID >${pidFile}.new && mv ${pidFile}.new ${pidFile}; exec sleep 1000`], { cwd: workDir });
  let target = 0;
  try {
    await waitFor(() => existsSync(pidFile), 'the target to write its pid');
    const [pid, parent] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number) as [number, number];
    target = pid;
    await waitFor(() => comm(target) === 'sleep', 'the target to become sleep');
    assert.is(comm(parent), 'sudo', `the target's parent is ${comm(parent)}, not sudo`);
  } finally {
    if (target > 0 && running(target) && comm(target) === 'sleep') process.kill(target, 'SIGKILL');
    await run;
    rmSync(pidFile, { force: true });
  }
});

viaSudo('a plain user without sudo gets 125 and one line saying root or sudo is needed', async () => {
  const u = need();
  // Without the sudo rule, which the test user otherwise has.
  renameSync(u.sudoersFile, `${u.sudoersFile}.off`);
  let result;
  try {
    result = await u.run(BIN, [NAME, '--', 'id'], { cwd: workDir, env: cleanEnv({ PATH: `${NODE_DIR}:/usr/local/bin:/usr/bin:/bin` }) });
  } finally {
    renameSync(`${u.sudoersFile}.off`, u.sudoersFile);
  }
  assert.is(result.code, 125, result.stderr);
  assert.is(result.stdout, '');
  assertOneLine(result, /root.*sudo|sudo.*root/);
});

test.run();
