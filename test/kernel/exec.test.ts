// netns-run started by Node directly (`node bin/netns-run`, as a setuid
// wrapper starts it), without the launcher shell that execs the chain for
// users (that route is test/conformance/): how the target's ending becomes
// netns-run's, and what passes through it: exit codes, deaths by signal,
// signals sent to netns-run, stdin and stdout, and netns-run's own death.
// Written to hold on both of Node's own exec paths: Node 20 spawns the chain
// and mirrors its ending (src/exec/spawn.ts); Node with process.execve
// (NETNS_RUN_TEST_NODE=.../node24) becomes the chain, so the target keeps
// netns-run's PID and its ending is netns-run's by construction.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { running } from '../support/kernel.js';
import { BIN, NODE, isRoot, netnsRunDirect, removeNamespace, skipReason, uniqueName, type Result } from '../support/netns-run.js';

/** The test's own environment without the ~90 ms NODE_EXTRA_CA_CERTS costs every Node start. */
const ENV: NodeJS.ProcessEnv = { ...process.env };
delete ENV.NODE_EXTRA_CA_CERTS;

const NAME = uniqueName('exec');
/** Which path the Node under test takes: it decides what a few endings look like. */
const EXECVE = spawnSync(NODE, ['-p', 'typeof process.execve'], { encoding: 'utf8', env: ENV }).stdout.trim() === 'function';
process.stdout.write(`# exec path under test: ${EXECVE ? 'execve' : 'spawn'} (${NODE})\n`);

const skip = isRoot ? undefined : 'not root: netns-run needs root to make namespaces';
if (skip) skipReason(`exec tests: ${skip}`);
const check = skip ? test.skip : test;

let scratch = '';

test.before(async () => {
  if (skip) return;
  scratch = mkdtempSync('/tmp/nrt-exec-');
  chmodSync(scratch, 0o755);
  // Make the namespace once, so that the runs below (some in parallel) all take the warm path.
  const first = await netnsRunDirect([NAME, '--', 'true'], { env: ENV });
  if (first.code !== 0) throw new Error(`netns-run ${NAME} -- true failed (${first.code}): ${first.stderr}`);
});

test.after(() => {
  removeNamespace(NAME);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface Running {
  readonly child: ChildProcess;
  /** netns-run ended (its ending, before its pipes close). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** netns-run ended and every holder of its output pipes closed them: a surviving target keeps this open. */
  readonly done: Promise<Result>;
}

/** Starts netns-run NAME -- COMMAND... as root and keeps hold of it while it runs. */
function start(command: readonly string[]): Running {
  const child = spawn(NODE, [BIN, NAME, '--', ...command], { cwd: scratch, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const done = new Promise<Result>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, exited, done };
}

/** Polls until COND holds; throws naming WHAT if it never does (a guard against hanging, not a timing check). */
async function waitFor(cond: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function read(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}


check('exit codes 0, 1, 42 and 255 pass through', async () => {
  const codes = [0, 1, 42, 255];
  const results = await Promise.all(codes.map((code) => netnsRunDirect([NAME, '--', 'sh', '-c', `exit ${code}`], { env: ENV })));
  results.forEach((result, i) => {
    assert.is(result.code, codes[i], `exit ${codes[i]} came out as ${result.code}/${result.signal}: ${result.stderr}`);
    assert.is(result.stderr, '');
  });
});

check('a target killed by SIGTERM, SIGKILL or SIGINT makes netns-run end by the same signal', async () => {
  const signals = ['TERM', 'KILL', 'INT'];
  const results = await Promise.all(signals.map((s) => netnsRunDirect([NAME, '--', 'sh', '-c', `kill -${s} $$; sleep 5`], { env: ENV })));
  results.forEach((result, i) => {
    assert.is(result.signal, `SIG${signals[i]}`, `kill -${signals[i]} came out as ${result.code}/${result.signal}: ${result.stderr}`);
    assert.is(result.code, null);
  });
});

check('a target killed by SIGSEGV: 139 on the spawn path, SIGSEGV itself on the execve path', async () => {
  // The spawn path does not re-raise core-dump signals (that would dump a
  // core of Node, not of the target): it ends with 128+11. On the execve path
  // netns-run is the target, so it dies by SIGSEGV itself. Seen: 139 on Node
  // 20; SIGSEGV with Node 24.
  const result = await netnsRunDirect([NAME, '--', 'sh', '-c', 'ulimit -c 0; kill -SEGV $$; sleep 5'], { env: ENV, cwd: scratch });
  if (EXECVE) assert.is(result.signal, 'SIGSEGV', `came out as ${result.code}/${result.signal}`);
  else assert.is(result.code, 139, `came out as ${result.code}/${result.signal}`);
});

check('SIGUSR1 and SIGTERM sent to netns-run reach the target exactly once', async () => {
  const log = `${scratch}/signals.log`;
  const probe = `${scratch}/probe.sh`;
  writeFileSync(
    probe,
    [
      '#!/bin/sh',
      `log=${log}`,
      'trap \'echo USR1 >>"$log"\' USR1',
      'trap \'echo TERM >>"$log"; exit 0\' TERM',
      'echo "ready $$" >>"$log"',
      // wait returns on a trapped signal, so the trap runs at once.
      'while :; do sleep 0.1 & wait $!; done',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const { child, exited, done } = start([probe]);
  let probePid = 0;
  try {
    await waitFor(() => read(log).includes('ready'), 'the probe to start');
    probePid = Number(/ready (\d+)/.exec(read(log))?.[1] ?? 0);
    child.kill('SIGUSR1');
    await waitFor(() => read(log).includes('USR1'), 'SIGUSR1 to reach the probe');
    child.kill('SIGTERM');
    const result = await done;
    // The probe traps TERM and exits 0: had netns-run died of it instead, this would be SIGTERM.
    assert.is(result.code, 0, `ended ${result.code}/${result.signal}: ${result.stderr}`);
    assert.equal(read(log).trim().split('\n'), [`ready ${probePid}`, 'USR1', 'TERM']);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited.catch(() => undefined);
    if (probePid > 0 && running(probePid)) process.kill(probePid, 'SIGKILL');
  }
});

check('stdin and stdout pass through byte-exact', async () => {
  const input = randomBytes(4 * 1024 * 1024);
  const child = spawn(NODE, [BIN, NAME, '--', 'cat'], { cwd: scratch, env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  // A target that stops reading early must fail this test, not crash the file with EPIPE.
  child.stdin.on('error', (error) => (stderr += `(writing stdin: ${error.message})`));
  child.stdin.end(input);
  const code = await ended;
  assert.is(code, 0, stderr);
  const output = Buffer.concat(out);
  assert.is(output.length, input.length);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  assert.is(sha(output), sha(input));
});

check('the target gets its standard streams in blocking mode, as the caller passed them', async () => {
  // Node makes pipes it uses non-blocking (O_NONBLOCK, 04000 in fdinfo's
  // octal flags). That flag lives on the open file description, which the
  // target shares: a target that writes to a non-blocking pipe fails with
  // EAGAIN ("cat: write error: Resource temporarily unavailable"). First
  // use of a namespace loads more of Node's machinery than the warm path, and
  // an option loads yargs, which makes Node's stream objects: all three are
  // checked.
  const report = ['sh', '-c', 'for fd in 0 1 2; do echo "$fd $(sed -n "s/^flags:[[:space:]]*//p" /proc/$$/fdinfo/$fd)"; done'];
  const fresh = uniqueName('execfl');
  try {
    for (const [which, options] of [['first use', [fresh]], ['warm', [NAME]], ['an option (yargs)', ['--chdir', '/', NAME]]] as const) {
      const result = await netnsRunDirect([...options, '--', ...report], { env: ENV });
      assert.is(result.code, 0, result.stderr);
      const flags = result.stdout.trim().split('\n').map((line) => line.split(' ') as [string, string]);
      assert.is(flags.length, 3, result.stdout);
      for (const [fd, octal] of flags) {
        assert.is(Number.parseInt(octal, 8) & 0o4000, 0, `${which}: descriptor ${fd} of the target is non-blocking (flags ${octal})`);
      }
    }
  } finally {
    removeNamespace(fresh);
  }
});

check('kill -9 of netns-run does not leave the target running', async () => {
  const pidFile = `${scratch}/target.pid`;
  const { child, exited } = start(['sh', '-c', `echo $$ >${pidFile}; exec sleep 1000`]);
  let target = 0;
  try {
    await waitFor(() => /^\d+\n$/.test(read(pidFile)), 'the target to write its pid');
    target = Number(read(pidFile));
    await waitFor(() => read(`/proc/${target}/comm`) === 'sleep\n', 'the target to become sleep');
    // execve path: the target is netns-run's own process; spawn path: a child that pdeathsig must kill.
    if (EXECVE) assert.is(target, child.pid);
    else assert.is.not(target, child.pid);
    child.kill('SIGKILL');
    // Not `done`: a surviving target would hold netns-run's output pipes open.
    const result = await exited;
    assert.is(result.signal, 'SIGKILL');
    await waitFor(() => !running(target), `the target (pid ${target}) to die with netns-run`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited.catch(() => undefined);
    if (target > 0 && running(target) && read(`/proc/${target}/comm`) === 'sleep\n') process.kill(target, 'SIGKILL');
  }
});

check('the arguments reach the target exactly as given: numbers, spaces, empty words, newlines, non-ASCII text', async () => {
  const words = ['007', '2', '0.1', '-5', '1e3', '', 'a b', 'line\nbreak', '--', '-x', '$HOME', '*', 'é'];
  const result = await netnsRunDirect([NAME, '--', 'printf', '[%s]', ...words], { env: ENV, cwd: scratch });
  assert.is(result.stderr, '');
  assert.is(result.code, 0);
  assert.is(result.stdout, words.map((word) => `[${word}]`).join(''));
});

test.run();
