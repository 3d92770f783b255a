// `netns-run NAME` without a command, at a real terminal: a private tmux
// server (tmux -L nrt-PID -f /dev/null) runs an outer bash, the test types
// netns-run at it and reads the screen back. The caller's own shell must come
// up interactive in the namespace with NETNS_RUN_NAME set, survive Ctrl-C,
// and hand its exit status back to the outer shell through netns-run. A test
// user with bash as login shell and a .bashrc in its (temporary) home shows
// the prompt hint a user would build from NETNS_RUN_NAME.
import { spawnSync } from 'node:child_process';
import { chownSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually, nsLink, present, processesIn, withNamespace } from '../support/kernel.js';
import { BIN, NODE_DIR, isRoot, sh, skipReason } from '../support/netns-run.js';
import { TmuxServer, tmuxAvailable } from '../support/tmux.js';
import { createTestUser, sudoMissing, type TestUser } from '../support/user.js';

const BASH = '/bin/bash';

function passwdShell(name: string): string {
  return sh(`getent passwd ${name}`).trim().split(':')[6] ?? '';
}

function realShell(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function fileSkip(): string | undefined {
  if (!isRoot) return 'interactive shell tests need root (netns-run makes namespaces)';
  if (!tmuxAvailable()) return 'interactive shell tests need tmux (Debian package tmux)';
  if (spawnSync(BASH, ['--version'], { stdio: 'ignore' }).status !== 0) return `interactive shell tests need ${BASH}`;
  return undefined;
}

const skipAll = fileSkip();
if (skipAll) skipReason(skipAll);
const userSkip = skipAll ?? sudoMissing();
if (userSkip && !skipAll) skipReason(`the prompt hint through sudo: ${userSkip}`);
// Root's own shell starts, and the root test reads bash's prompt and flags.
const rootSkip = skipAll ?? (realShell(passwdShell('root')) === realShell(BASH) ? undefined : `root's login shell is ${passwdShell('root')}, not bash`);
if (rootSkip && !skipAll) skipReason(`the interactive shell as root: ${rootSkip}`);
const asRoot = rootSkip ? test.skip : test;
const viaSudo = userSkip ? test.skip : test;

const OUTER = 'outer$';
const tmux = new TmuxServer(`nrt-${process.pid}`);
let started = false;
let user: TestUser | undefined;
let setupError: unknown;

/** The prompt the user's .bashrc builds: the namespace's name, or "none" outside one. */
const BASHRC = "PS1='[netns:${NETNS_RUN_NAME:-none}] \\u\\$ '\nunset HISTFILE\n";

test.before(() => {
  if (skipAll) return;
  try {
    tmux.start(160, 40);
    started = true;
    if (userSkip) return;
    user = createTestUser();
    // bash, so that its ~/.bashrc (in the fixture's home, removed with the user) sets the prompt.
    sh(`usermod --shell ${BASH} ${user.name}`);
    writeFileSync(`${user.home}/.bashrc`, BASHRC, { mode: 0o644 });
    chownSync(`${user.home}/.bashrc`, user.uid, user.gid);
  } catch (error) {
    setupError = error;
  }
});

test.after(() => {
  tmux.kill();
  user?.cleanup();
});

function ready(): void {
  if (setupError !== undefined) throw setupError;
  assert.ok(started, 'the tmux server did not start');
}

function lines(screen: string): string[] {
  return screen.split('\n').map((line) => line.trimEnd());
}

function lastLine(screen: string): string {
  const all = lines(screen).filter(Boolean);
  return all[all.length - 1] ?? '';
}

/** Types a command line and presses Enter. */
function enter(pane: string, text: string): void {
  tmux.type(pane, text);
  tmux.press(pane, 'Enter');
}

/** Waits for a line that is exactly LINE (the output of a command, never the line that typed it). */
async function expectLine(pane: string, line: string, what: string): Promise<string> {
  const screen = await tmux.waitFor(pane, (s) => lines(s).includes(line));
  assert.ok(lines(screen).includes(line), `${what}: no line ${JSON.stringify(line)} on the screen:\n${screen}`);
  return screen;
}

/** Waits until the last line of the screen is PROMPT. */
async function expectPrompt(pane: string, prompt: (last: string) => boolean, what: string): Promise<string> {
  const screen = await tmux.waitFor(pane, (s) => prompt(lastLine(s)));
  assert.ok(prompt(lastLine(screen)), `${what}: the screen does not end at the prompt:\n${screen}`);
  return screen;
}

/** An outer bash with no startup files and a plain prompt, in DIR with HOME. */
function outerShell(home: string, dir: string): string[] {
  return ['env', '-i', `--chdir=${dir}`, 'PATH=/usr/local/bin:/usr/bin:/bin', `HOME=${home}`, 'TERM=screen', 'HISTFILE=', `PS1=${OUTER} `,
    BASH, '--norc', '--noprofile', '-i'];
}

/** The outer shell's command line for netns-run as users run it: bin/netns-run, its `node` being the Node under test. */
function netnsRunWords(): string {
  return `PATH=${NODE_DIR}:$PATH ${BIN}`;
}


asRoot('netns-run NAME at a terminal: root\'s interactive shell in the namespace, Ctrl-C kills only its job, exit status comes back', async () => {
  ready();
  await withNamespace('shell', async (name) => {
    const pane = tmux.open(outerShell('/root', '/tmp'));
    try {
      await expectPrompt(pane, (last) => last === OUTER, 'the outer shell');
      enter(pane, `${netnsRunWords()} ${name}`);
      // Root's bash prompt (from /etc/bash.bashrc or ~/.bashrc) ends in '#'; the outer one is OUTER.
      const first = await expectPrompt(pane, (last) => last.endsWith('#') && !last.startsWith(OUTER), 'the shell in the namespace');
      assert.ok(present(`/run/netns/${name}`), `no /run/netns/${name} once the shell started:\n${first}`);

      enter(pane, 'echo "in:$NETNS_RUN_NAME"');
      await expectLine(pane, `in:${name}`, 'NETNS_RUN_NAME');
      const net = nsLink('net', `/run/netns/${name}`);
      enter(pane, 'echo "net:$(readlink /proc/self/ns/net)"');
      await expectLine(pane, `net:${net}`, 'the network namespace');
      // Interactive (i) with job control (m), on the terminal itself.
      enter(pane, 'case $- in *i*m*|*m*i*) echo "interactive:yes";; *) echo "interactive:no $-";; esac; [ -t 0 ] && echo "tty:yes"');
      await expectLine(pane, 'interactive:yes', 'the shell\'s flags');
      const screen = await expectLine(pane, 'tty:yes', 'stdin is a terminal');
      assert.not.match(screen, /no job control|cannot set terminal process group/, 'the shell got no job control');

      // Ctrl-C goes to the foreground job only: the shell and netns-run stay.
      enter(pane, 'sleep 1000');
      assert.ok(await eventually(() => processesIn(net).some((pid) => comm(pid) === 'sleep'), 15_000), 'sleep never started in the namespace');
      tmux.press(pane, 'C-c');
      enter(pane, 'echo "alive:$?:$NETNS_RUN_NAME"');
      await expectLine(pane, `alive:130:${name}`, 'after Ctrl-C');

      enter(pane, 'exit 7');
      await expectPrompt(pane, (last) => last === OUTER, 'back in the outer shell');
      enter(pane, 'echo "after:$?:${NETNS_RUN_NAME-unset}"');
      await expectLine(pane, 'after:7:unset', 'netns-run\'s exit status in the outer shell');
    } finally {
      tmux.close(pane);
    }
  });
});

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

viaSudo('sudo netns-run NAME: the user\'s bash, its .bashrc prompt showing the namespace, exit status back', async () => {
  ready();
  const u = user!;
  await withNamespace('shellps1', async (name) => {
    const pane = tmux.open(['runuser', '-u', u.name, '--', ...outerShell(u.home, u.home)]);
    try {
      await expectPrompt(pane, (last) => last === OUTER, 'the user\'s outer shell');
      // The same .bashrc outside netns-run: no namespace in the prompt.
      enter(pane, `${BASH} -i`);
      await expectPrompt(pane, (last) => last === `[netns:none] ${u.name}$`, 'bash outside the namespace');
      enter(pane, 'exit');
      await expectPrompt(pane, (last) => last === OUTER, 'back in the outer shell');

      enter(pane, `sudo -n ${BIN} ${name}`);
      await expectPrompt(pane, (last) => last === `[netns:${name}] ${u.name}$`, 'the prompt hint in the namespace');
      enter(pane, 'echo "who:$(id -u):$NETNS_RUN_NAME:$(readlink /proc/self/ns/net)"');
      await expectLine(pane, `who:${u.uid}:${name}:${nsLink('net', `/run/netns/${name}`)}`, 'the user, in the namespace');
      enter(pane, 'exit 3');
      await expectPrompt(pane, (last) => last === OUTER, 'back in the outer shell');
      enter(pane, 'echo "after:$?"');
      await expectLine(pane, 'after:3', 'the shell\'s exit status through netns-run and sudo');
    } finally {
      tmux.close(pane);
    }
  });
});

test.run();
