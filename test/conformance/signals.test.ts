// Issue #3, point 2 (signals sent with kill; the ones a terminal sends are
// in terminal.test.ts): a signal sent to netns-run's PID reaches the target
// exactly once. Nothing sits in between: the target has the PID the caller
// started, no Node process is left while it runs, and what the caller set
// to ignored (nohup's SIGHUP, `trap '' INT`, the INT and QUIT a
// non-interactive shell ignores for a background job) stays ignored.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync } from 'node:fs';
import { FORWARDED, SIGNAL_NUMBERS, Suite, nodesAround, start, startNetnsRun } from '../support/conformance.js';

const suite = new Suite('signals');
const check = suite.tests();

check('TERM HUP INT QUIT USR1 USR2 WINCH CONT ALRM sent to netns-run\'s PID each reach the target exactly once', async () => {
  const ws = suite.ready();
  const control = ws.fifo('control');
  const { argv, log } = suite.probe(['-c', control]);
  const run = startNetnsRun(ws, [suite.name, '--', ...argv]);
  try {
    await log.ready();
    suite.probes.push(log.pid);
    const expected = Object.fromEntries(FORWARDED.map((s) => [s, 0])) as Record<string, number>;
    for (const signal of FORWARDED) {
      process.kill(run.pid, `SIG${signal}`);
      expected[signal] = 1;
      await log.waitFor((l) => l.counts()[signal] >= 1, `SIG${signal} to reach the probe`);
      // Every signal so far exactly once, the others not at all: a second copy of an earlier one shows here.
      assert.equal(log.counts(), expected, `after SIG${signal}`);
    }
    appendFileSync(control, 'exit 7\n');
    const ended = await run.exited;
    assert.is(ended.code, 7, `the probe's exit 7 came out as ${ended.code}/${ended.signal}: ${run.stderr()}`);
    // The counts the probe wrote on its way out: nothing arrived late.
    assert.equal(log.counts(), expected, 'at exit');
  } finally {
    run.child.kill('SIGKILL');
  }
});

check('nothing in between: the target has the PID the caller started, and no Node process remains while it runs', async () => {
  const ws = suite.ready();
  const control = ws.fifo('control');
  const { argv, log } = suite.probe(['-c', control]);
  // A process group of its own, so that whatever netns-run leaves in it is found.
  const run = startNetnsRun(ws, [suite.name, '--', ...argv], { detached: true });
  try {
    await log.ready();
    suite.probes.push(log.pid);
    assert.equal(nodesAround(log.pid, run.pid, process.pid), [], 'Node processes around the target while it runs');
    assert.is(log.pid, run.pid, `the target's PID ${log.pid} is not the PID ${run.pid} the caller started`);
    assert.is(log.number('ppid'), process.pid, 'the target\'s parent is not the caller');
    appendFileSync(control, 'exit 0\n');
    const ended = await run.exited;
    assert.is(ended.code, 0, run.stderr());
  } finally {
    run.child.kill('SIGKILL');
  }
});

check('signals the caller ignored stay ignored in the target, and only those: nohup\'s HUP, trap \'\' INT, PIPE and XFSZ, a background job\'s INT and QUIT', async () => {
  const ws = suite.ready();
  const cases = [
    { what: 'plain', script: 'exec netns-run "$@"', ignored: [] as string[] },
    { what: 'nohup', script: 'exec nohup netns-run "$@"', ignored: ['HUP'] },
    { what: "trap '' INT", script: "trap '' INT; exec netns-run \"$@\"", ignored: ['INT'] },
    // Node ignores PIPE and XFSZ for itself: the target must have them as the caller had them, ignored or not.
    { what: "trap '' PIPE XFSZ", script: "trap '' PIPE XFSZ; exec netns-run \"$@\"", ignored: ['PIPE', 'XFSZ'] },
    // POSIX: a non-interactive shell starts an asynchronous command with INT and QUIT ignored.
    { what: 'background job of sh', script: 'netns-run "$@" & wait $!', ignored: ['INT', 'QUIT'] },
  ];
  for (const c of cases) {
    const { argv, log } = suite.probe(['-e', '0']);
    const run = start('sh', ['-c', c.script, 'sh', suite.name, '--', ...argv], { env: ws.env, cwd: ws.dir });
    const ended = await run.exited;
    assert.is(ended.code, 0, `${c.what}: ${ended.code}/${ended.signal}: ${run.stderr()}`);
    assert.ok(log.value('SigIgn') !== undefined, `${c.what}: the probe never ran: ${run.stderr()}`);
    for (const signal of ['HUP', 'INT', 'QUIT', 'TERM', 'USR1', 'PIPE', 'XFSZ']) {
      const want = c.ignored.includes(signal);
      assert.is(log.ignored(SIGNAL_NUMBERS[signal]!), want, `${c.what}: SIG${signal} is ${want ? 'not ' : ''}ignored in the target (SigIgn ${log.value('SigIgn')})`);
    }
  }
});

test.run();
