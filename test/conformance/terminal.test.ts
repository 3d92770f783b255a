// Issue #3, points 2 and 3 at a real terminal: a private tmux server runs
// bash or zsh, the test types `netns-run NAME -- PROBE ...` at it (PATH makes
// that bin/netns-run with the Node under test) and reads the probe's log and
// the screen. The target must own the terminal as the command would without
// netns-run: tty on 0, 1 and 2, the foreground process group, Ctrl-C and
// Ctrl-\ once, window resizes with the new size, Ctrl-Z with fg and bg from
// bash and zsh, full-screen programs. "Exactly once" is checked behind a
// barrier: after the signal is counted, SIGUSR1 is sent to netns-run's PID
// and counted too, so a late second copy from anything in between would
// have arrived first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { skipReason } from '../support/netns-run.js';
import { type Counted, type Pane, type ProbeLog, Suite, Terminal, missingTools, nodesAround, procStat, startedBy } from '../support/conformance.js';

const suite = new Suite('terminal');
const check = suite.skip ? test.skip : test;
const terminal = new Terminal();
// less is one full-screen program more; the probe's own full screen (-f) covers point 3 without it.
const noLess = suite.skip ?? missingTools(['less']);
if (noLess && !suite.skip) skipReason(`the less test: ${noLess}`);
const withLess = noLess ? test.skip : test;
let missing: string | undefined;

test.before(async () => {
  await suite.setUp();
  if (suite.skip) return;
  missing = missingTools(['tmux', 'bash', 'zsh']);
  if (!missing) terminal.start(160, 40);
});
test.after(() => {
  terminal.kill();
  suite.tearDown();
});

function ready() {
  const ws = suite.ready();
  if (missing) throw new Error(`the terminal tests need ${missing}`);
  return ws;
}

async function waitUntil(cond: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await delay(20);
  }
}

/** The probe, typed at PANE's shell; resolves once it runs and owns the terminal. */
async function typeProbe(pane: Pane, options: readonly string[]): Promise<{ log: ProbeLog; probe: number; netnsRun: number }> {
  const { argv, log } = suite.probe(options);
  pane.enter(`netns-run ${suite.name} -- ${argv.join(' ')}`);
  await log.ready();
  const probe = log.pid;
  suite.probes.push(probe);
  await log.waitFor((l) => l.values('fg').pop() === '1', 'the probe in the foreground');
  return { log, probe, netnsRun: startedBy(probe, pane.shellPid) };
}

/**
 * Sends SIGUSR1 to netns-run's PID and waits for the probe to count it: a
 * copy of an earlier signal that something in between would deliver late is
 * then counted already.
 */
async function barrier(log: ProbeLog, netnsRun: number): Promise<void> {
  const before = log.counts().USR1;
  process.kill(netnsRun, 'SIGUSR1');
  await log.waitFor((l) => l.counts().USR1 === before + 1, 'SIGUSR1 sent to netns-run as a barrier');
}

async function counted(log: ProbeLog, signal: Counted, n: number, what: string): Promise<void> {
  await log.waitFor((l) => l.counts()[signal] >= n, `${what}: SIG${signal} counted ${n} times`);
}

async function quit(pane: Pane, log: ProbeLog): Promise<void> {
  pane.enter('q');
  await log.waitFor((l) => l.value('exit') !== undefined, 'the probe to exit on q');
  await pane.prompt('after the probe');
  pane.enter('echo "status $?"');
  await pane.line('status 0', 'netns-run\'s exit status at the shell');
}

check('the target\'s stdin, stdout and stderr are the caller\'s terminal, and it is the shell\'s foreground job itself', async () => {
  const ws = ready();
  const pane = await terminal.shell('bash', ws);
  try {
    const tty = pane.tty;
    pane.enter(`netns-run ${suite.name} -- sh -c 'tty; test -t 0 && test -t 1 && test -t 2 && echo "all three are terminals"'`);
    await pane.line(tty, '`tty` in the target');
    await pane.line('all three are terminals', '`test -t 0/1/2` in the target');
    await pane.prompt('after tty');

    const { log, probe, netnsRun } = await typeProbe(pane, ['-t']);
    assert.equal([log.value('tty0'), log.value('tty1'), log.value('tty2')], [tty, tty, tty], 'the probe\'s 0, 1, 2');
    assert.is(log.number('tpgid'), log.number('pgid'), 'the target is not in the terminal\'s foreground process group');
    assert.is(log.number('sid'), procStat(pane.shellPid)!.pgrp, 'the target is not in the shell\'s session');
    assert.is(netnsRun, probe, `the shell started PID ${netnsRun}, the target is ${probe}`);
    assert.equal(nodesAround(probe, netnsRun, pane.shellPid), [], 'Node processes around the target at the terminal');
    await quit(pane, log);
  } finally {
    pane.close();
  }
});

check('Ctrl-C and Ctrl-\\ typed at the terminal reach the target exactly once', async () => {
  const ws = ready();
  const pane = await terminal.shell('bash', ws);
  try {
    const { log, netnsRun } = await typeProbe(pane, ['-t']);
    pane.press('C-c');
    await counted(log, 'INT', 1, 'Ctrl-C');
    await barrier(log, netnsRun);
    assert.is(log.counts().INT, 1, 'Ctrl-C counted more than once');
    pane.press('C-\\');
    await counted(log, 'QUIT', 1, 'Ctrl-\\');
    await barrier(log, netnsRun);
    const counts = log.counts();
    assert.equal([counts.INT, counts.QUIT, counts.USR1], [1, 1, 2], `counts after Ctrl-C, Ctrl-\\ and two barriers: ${JSON.stringify(counts)}`);
    await quit(pane, log);
  } finally {
    pane.close();
  }
});

check('a window resize reaches the target once (SIGWINCH), and the target reads the new size', async () => {
  const ws = ready();
  const pane = await terminal.shell('bash', ws);
  try {
    const { log, netnsRun } = await typeProbe(pane, ['-t']);
    assert.is(log.value('size'), '40 160', 'the size at start');
    pane.resize(120, 30);
    await log.waitFor((l) => l.values('size').includes('30 120'), 'the new size (30 rows, 120 columns)');
    await barrier(log, netnsRun);
    assert.is(log.counts().WINCH, 1, 'one resize, SIGWINCH counted other than once');
    await quit(pane, log);
  } finally {
    pane.close();
  }
});

/**
 * Ctrl-Z, fg, Ctrl-Z, bg, jobs, fg, q at SHELL, for the job COMMAND that
 * runs the probe (through netns-run or not); returns the signals counted.
 */
async function jobControl(shell: 'bash' | 'zsh', command: (argv: readonly string[]) => string, via: string): Promise<Record<Counted, number>> {
  const ws = ready();
  const pane = await terminal.shell(shell, ws);
  try {
    const { argv, log } = suite.probe(['-t']);
    pane.enter(command(argv));
    await log.ready();
    const probe = log.pid;
    suite.probes.push(probe);
    await log.waitFor((l) => l.values('fg').pop() === '1', `${via}: the probe in the foreground`);
    const job = startedBy(probe, pane.shellPid);
    const stopped = shell === 'bash' ? /\bStopped\b.*probe/ : /\bsuspended\b.*probe/;
    const running = shell === 'bash' ? /\bRunning\b.*probe/ : /\brunning\b.*probe/;
    const state = () => procStat(probe)?.state;

    pane.press('C-z');
    await waitUntil(() => state() === 'T', `${via}: the target to stop on Ctrl-Z`);
    assert.is(procStat(job)?.state, 'T', `${via}: the job's PID ${job} is not stopped`);
    await pane.waitFor((s) => stopped.test(s), `${via}: ${shell} to report the job stopped`);
    await pane.prompt(`${via}: the shell back after Ctrl-Z`);

    pane.enter('fg');
    await waitUntil(() => state() !== 'T', `${via}: fg to resume the target`);
    await counted(log, 'CONT', 1, 'fg');
    await log.waitFor((l) => l.values('fg').pop() === '1', `${via}: the target back in the foreground`);
    await barrier(log, job);
    assert.is(log.counts().CONT, 1, `${via}: fg: SIGCONT counted other than once`);
    // It reads the terminal again: a line typed now is its input, not the shell's.
    pane.enter('report');
    await log.waitFor((l) => l.values('report').length === 1, `${via}: the target to read "report" from the terminal`);

    pane.press('C-z');
    await waitUntil(() => state() === 'T', `${via}: the target to stop on the second Ctrl-Z`);
    await pane.prompt(`${via}: the shell back after the second Ctrl-Z`);
    pane.enter('bg');
    await waitUntil(() => state() !== 'T', `${via}: bg to resume the target`);
    await log.waitFor((l) => l.values('fg').pop() === '0', `${via}: the target running in the background`);
    await counted(log, 'CONT', 2, `${via}: bg`);
    await pane.prompt(`${via}: the shell's prompt while the target runs in the background`);
    pane.enter('jobs');
    await pane.waitFor((s) => running.test(s), `${via}: ${shell}'s jobs to list the target running`);
    assert.ok(['S', 'R'].includes(procStat(probe)?.state ?? ''), `${via}: the target is not running in the background`);

    pane.enter('fg');
    await log.waitFor((l) => l.values('fg').pop() === '1', `${via}: the target back in the foreground after bg`);
    await barrier(log, job);
    const counts = log.counts();
    await quit(pane, log);
    return counts;
  } finally {
    pane.close();
  }
}

for (const shell of ['bash', 'zsh'] as const) {
  check(`${shell}: Ctrl-Z stops the target, fg and bg resume it, each SIGCONT arriving as often as without netns-run`, async () => {
    // The same keys with the probe run directly: how many SIGCONTs the shell itself sends (fg of a running job may send none).
    const without = await jobControl(shell, (argv) => argv.join(' '), 'without netns-run');
    const through = await jobControl(shell, (argv) => `netns-run ${suite.name} -- ${argv.join(' ')}`, 'through netns-run');
    assert.equal(through, without, `${shell}: the signals the target counted through netns-run against without it`);
  });
}

check('a full-screen program: the alternate screen, keys without Enter, a redraw on resize, the screen restored on exit', async () => {
  const ws = ready();
  const pane = await terminal.shell('bash', ws);
  try {
    pane.enter('echo "before the full screen"');
    await pane.line('before the full screen', 'the line the full screen covers');
    const { log } = await typeProbe(pane, ['-f']);
    const frame = (width: number) => `+${'-'.repeat(width - 2)}+`;
    const full = (width: number, height: number, key: string) => (s: string) => {
      const lines = s.split('\n');
      return lines.length === height && lines[0] === frame(width) && lines[height - 1] === frame(width) && s.includes(`probe full screen ${width}x${height} key ${key}`);
    };
    await pane.waitFor(full(160, 40, '-'), 'the frame over the whole 160x40 window');
    assert.not.ok(pane.screen().includes('before the full screen'), 'the full screen did not cover the shell\'s lines');
    pane.type('x');
    await pane.waitFor(full(160, 40, 'x'), 'the key typed without Enter');
    pane.resize(100, 30);
    await pane.waitFor(full(100, 30, 'x'), 'the frame redrawn for 100x30');
    pane.resize(160, 40);
    await pane.waitFor(full(160, 40, 'x'), 'the frame redrawn for 160x40');
    pane.type('q');
    await log.waitFor((l) => l.value('exit') === '0', 'the probe to exit on q');
    const screen = await pane.prompt('after the full screen');
    assert.ok(screen.includes('before the full screen'), `the shell's lines are not back:\n${screen}`);
  } finally {
    pane.close();
  }
});

withLess('less pages a file through netns-run: it takes the screen, pages on Space, gives the screen back on q', async () => {
  const ws = ready();
  const pane = await terminal.shell('bash', ws);
  try {
    const file = ws.path('pages.txt');
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    pane.enter(`netns-run ${suite.name} -- less ${file}`);
    await pane.waitFor((s) => s.split('\n')[0] === 'line 1' && s.split('\n').includes('line 39'), 'less showing the first page');
    pane.press('Space');
    await pane.waitFor((s) => s.split('\n')[0] === 'line 40' && s.split('\n').includes('line 78'), 'less showing the second page');
    pane.type('q');
    const screen = await pane.prompt('after less');
    assert.not.ok(screen.split('\n').includes('line 40'), `less left its page on the screen:\n${screen}`);
    pane.enter('echo "status $?"');
    await pane.line('status 0', 'less\'s exit status');
  } finally {
    pane.close();
  }
});

test.run();
