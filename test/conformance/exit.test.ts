// Issue #3, point 1: netns-run ends the way its target ended. An exit code
// is netns-run's exit code; a death by signal is netns-run's death by the
// same signal, so that a parent's waitpid() (Node's 'exit' event reports
// exactly that) and a shell's $? (128+S) cannot tell netns-run from the
// target. Core-dumping signals included: the target dies of them itself
// (netns-run's PID is the target's), so the parent sees the real signal.
// The probe logs its start before it exits or kills itself: each test
// checks that the ending came from the probe, not from netns-run failing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { netnsRun } from '../support/netns-run.js';
import { Suite, startNetnsRun, start } from '../support/conformance.js';

const suite = new Suite('exit statuses');
const check = suite.tests();

check('exit codes 0, 1, 2, 125, 126, 127 and 255 of the target are netns-run\'s', async () => {
  const ws = suite.ready();
  const codes = [0, 1, 2, 125, 126, 127, 255];
  const runs = codes.map((code) => {
    const { argv, log } = suite.probe(['-e', String(code)]);
    return { code, log, done: netnsRun([suite.name, '--', ...argv], { env: ws.env }) };
  });
  for (const run of runs) {
    const result = await run.done;
    assert.ok(run.log.lines().includes('ready'), `exit ${run.code}: the probe never ran: ${result.stderr}`);
    assert.is(result.code, run.code, `exit ${run.code} came out as ${result.code}/${result.signal}: ${result.stderr}`);
    assert.is(result.signal, null);
    assert.is(result.stderr, '', `exit ${run.code}: netns-run printed something`);
  }
});

/** Starts the probe that kills itself with SIGNAL and returns how netns-run ended, as waitpid() saw it. */
async function deathBy(signal: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; ran: boolean; stderr: string }> {
  const { argv, log } = suite.probe(['-k', signal]);
  const run = startNetnsRun(suite.ready(), [suite.name, '--', ...argv]);
  const ended = await run.exited;
  return { ...ended, ran: log.lines().includes('ready'), stderr: run.stderr() };
}

check('a target killed by TERM, INT, HUP, USR1, PIPE or KILL: netns-run dies by the same signal', async () => {
  for (const signal of ['TERM', 'INT', 'HUP', 'USR1', 'PIPE', 'KILL']) {
    const ended = await deathBy(signal);
    assert.ok(ended.ran, `${signal}: the probe never ran: ${ended.stderr}`);
    assert.is(ended.signal, `SIG${signal}`, `killed by SIG${signal}, netns-run ended ${ended.code}/${ended.signal}: ${ended.stderr}`);
    assert.is(ended.code, null);
  }
});

check('a target killed by a core-dumping signal (SEGV, ABRT, QUIT): netns-run dies by that very signal, not 128+S', async () => {
  // The probe turns core dumps off for itself (PR_SET_DUMPABLE 0) before it raises the signal.
  for (const signal of ['SEGV', 'ABRT', 'QUIT']) {
    const ended = await deathBy(signal);
    assert.ok(ended.ran, `${signal}: the probe never ran: ${ended.stderr}`);
    assert.is(ended.signal, `SIG${signal}`, `killed by SIG${signal}, netns-run ended ${ended.code}/${ended.signal}: ${ended.stderr}`);
  }
});

check('a shell\'s $? after netns-run is the target\'s: 42 for exit 42, 143 for SIGTERM, 130 for SIGINT, 139 for SIGSEGV', async () => {
  const ws = suite.ready();
  const logs = ['e42', 'kTERM', 'kINT', 'kSEGV'].map(() => ws.path('probe.log'));
  const script = [
    `netns-run ${suite.name} -- ${ws.probe} -e 42 ${logs[0]}; echo "status $?"`,
    `netns-run ${suite.name} -- ${ws.probe} -k TERM ${logs[1]}; echo "status $?"`,
    `netns-run ${suite.name} -- ${ws.probe} -k INT ${logs[2]}; echo "status $?"`,
    `netns-run ${suite.name} -- ${ws.probe} -k SEGV ${logs[3]}; echo "status $?"`,
  ].join('\n');
  const run = start('sh', ['-c', script], { env: ws.env, cwd: ws.dir });
  const ended = await run.exited;
  assert.is(ended.code, 0, run.stderr());
  assert.equal(run.stdout().trim().split('\n'), ['status 42', 'status 143', 'status 130', 'status 139'], run.stderr());
});

test.run();
