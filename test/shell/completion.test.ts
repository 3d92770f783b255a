// The completion scripts in completions/, tried for real: bash with
// bash-completion, zsh with compinit and fish, each run interactively under
// a private tmux server with a clean HOME, ZDOTDIR and XDG directories. A
// test types a partial command line, presses TAB, and reads the screen back.
//
// Every shell runs with a PATH whose first directory holds a `node` and a
// `netns-run` that only leave a marker file: a completion that started Node
// (or netns-run, which is Node) would leave it behind.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, isRoot, removeNamespace, sh, skipReason, uniqueName } from '../support/netns-run.js';
import { TmuxServer, tmuxAvailable } from '../support/tmux.js';

const BASH_COMPLETION = '/usr/share/bash-completion/bash_completion';
const PROMPT = 'nrt> ';

function has(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/** Why the whole file cannot run here, or undefined. */
function fileSkip(): string | undefined {
  if (!isRoot) return 'completion tests need root (ip netns add makes the namespace names to complete)';
  if (!tmuxAvailable()) return 'completion tests need tmux (Debian package tmux)';
  return undefined;
}

/** Why one shell cannot be tried here, or undefined. */
function shellSkip(shell: 'bash' | 'zsh' | 'fish'): string | undefined {
  if (!has(shell)) return `${shell} is not installed (Debian package ${shell}): its completion script is not tested`;
  if (shell === 'bash' && !existsSync(BASH_COMPLETION)) {
    return `bash-completion is not installed (${BASH_COMPLETION} is missing): the bash completion script is not tested`;
  }
  return undefined;
}

const skipAll = fileSkip();
if (skipAll) skipReason(skipAll);

// What the tests share, made in before() and removed in after().
let temp = '';
let marker = '';
let namespace = '';
const tmux = new TmuxServer(`nrt-${process.pid}`);

test.before(() => {
  if (skipAll) return;
  temp = mkdtempSync(join(tmpdir(), 'nrt-completion-'));
  marker = join(temp, 'node-started');
  for (const dir of ['home', 'zdot', 'zfunc', 'bash', 'stub', 'config/fish/completions', 'data/fish/generated_completions', 'cache', 'state', 'runtime']) {
    mkdirSync(join(temp, dir), { recursive: true, mode: 0o700 });
  }
  // The trap: node and netns-run first on PATH, each leaving the marker.
  for (const program of ['node', 'netns-run']) {
    const path = join(temp, 'stub', program);
    writeFileSync(path, `#!/bin/sh\necho "${program} $*" >> '${marker}'\nexit 0\n`);
    chmodSync(path, 0o755);
  }

  // Installed as a user would install them.
  copyFileSync(join(ROOT, 'completions', 'netns-run.bash'), join(temp, 'bash', 'netns-run'));
  copyFileSync(join(ROOT, 'completions', '_netns-run'), join(temp, 'zfunc', '_netns-run'));
  copyFileSync(join(ROOT, 'completions', 'netns-run.fish'), join(temp, 'config', 'fish', 'completions', 'netns-run.fish'));

  writeFileSync(join(temp, 'bashrc'), [
    `PS1='${PROMPT}'`,
    'unset HISTFILE',
    `. ${BASH_COMPLETION}`,
    `. '${join(temp, 'bash', 'netns-run')}'`,
    '',
  ].join('\n'));
  writeFileSync(join(temp, 'zdot', '.zshrc'), [
    `PROMPT='${PROMPT}'`,
    'RPROMPT=',
    'unset HISTFILE',
    'unsetopt beep',
    `fpath=('${join(temp, 'zfunc')}' $fpath)`,
    'autoload -Uz compinit',
    `compinit -u -d '${join(temp, 'cache', 'zcompdump')}'`,
    '',
  ].join('\n'));
  // fish: no greeting, no autosuggestion (its grey text would show on the
  // screen as if it had been completed), and the pre-made
  // generated_completions directory keeps fish from starting its man page
  // scanner in the background on first use.
  writeFileSync(join(temp, 'config', 'fish', 'config.fish'), [
    'set -g fish_greeting',
    'set -g fish_autosuggestion_enabled 0',
    `function fish_prompt; printf '%s' '${PROMPT}'; end`,
    'function fish_right_prompt; end',
    '',
  ].join('\n'));

  // The trap is armed: run through this PATH, `node` leaves the marker.
  const probe = spawnSync('sh', ['-c', 'node --version'], { env: { PATH: shellPath() }, encoding: 'utf8' });
  if (probe.status !== 0 || !existsSync(marker)) throw new Error(`the node stub did not leave its marker: ${probe.stderr}`);
  rmSync(marker);

  namespace = uniqueName('cmp');
  sh(`ip netns add ${namespace}`);
  tmux.start();
});

test.after(() => {
  tmux.kill();
  if (namespace) removeNamespace(namespace);
  if (temp) rmSync(temp, { recursive: true, force: true });
});

function shellPath(): string {
  return `${join(temp, 'stub')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
}

/** The shell's argv under a clean environment: nothing of the test's own. */
function shellArgv(shell: 'bash' | 'zsh' | 'fish'): string[] {
  const env = [
    `HOME=${join(temp, 'home')}`,
    `PATH=${shellPath()}`,
    'TERM=screen',
    'LANG=C.UTF-8',
    `ZDOTDIR=${join(temp, 'zdot')}`,
    `XDG_CONFIG_HOME=${join(temp, 'config')}`,
    `XDG_DATA_HOME=${join(temp, 'data')}`,
    `XDG_CACHE_HOME=${join(temp, 'cache')}`,
    `XDG_STATE_HOME=${join(temp, 'state')}`,
    `XDG_RUNTIME_DIR=${join(temp, 'runtime')}`,
  ];
  const command = {
    bash: ['bash', '--noprofile', '--rcfile', join(temp, 'bashrc'), '-i'],
    zsh: ['zsh', '-i'],
    fish: ['fish', '-i'],
  }[shell];
  return ['env', '-i', ...env, ...command];
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The screen has `words` as whole words, ending at a blank or the line's end. */
function shows(words: string): (screen: string) => boolean {
  const pattern = new RegExp(`${escape(words)}(?= |$)`, 'm');
  return (screen) => pattern.test(screen);
}

/** No node or netns-run ran since the last check; the marker is removed so the next test starts clean. */
function assertNoNode(shell: string, typed: string): void {
  if (!existsSync(marker)) return;
  const what = readFileSync(marker, 'utf8').trim();
  rmSync(marker);
  assert.unreachable(`${shell}: completing ${JSON.stringify(typed)} started ${what}`);
}

/**
 * Starts the shell in a new tmux window, waits for its prompt, types `typed`,
 * checks the screen does not yet show `expected`, presses TAB and waits for
 * `expected`. Returns the screens before and after TAB.
 */
async function complete(shell: 'bash' | 'zsh' | 'fish', typed: string, expected: string): Promise<{ before: string; after: string }> {
  const pane = tmux.open(shellArgv(shell));
  try {
    const ready = await tmux.waitFor(pane, (screen) => screen.includes(PROMPT.trimEnd()));
    assert.ok(ready.includes(PROMPT.trimEnd()), `${shell} showed no prompt:\n${ready}`);
    tmux.type(pane, typed);
    const before = await tmux.waitFor(pane, (screen) => screen.includes(typed));
    assert.ok(before.includes(typed), `${shell} did not echo what was typed:\n${before}`);
    assert.not.ok(shows(expected)(before), `${shell} showed ${JSON.stringify(expected)} before TAB:\n${before}`);
    tmux.press(pane, 'Tab');
    const after = await tmux.waitFor(pane, shows(expected));
    assert.ok(shows(expected)(after), `${shell}: ${JSON.stringify(typed)} + TAB should show ${JSON.stringify(expected)}; the screen:\n${after}`);
    assertNoNode(shell, typed);
    return { before, after };
  } finally {
    tmux.close(pane);
  }
}

/**
 * Types `typed`, presses TAB, then types a sentinel character: input is
 * handled in order, so once the sentinel shows, TAB has been handled, and the
 * line must still be what was typed.
 */
async function completesNothing(shell: 'bash' | 'zsh' | 'fish', typed: string): Promise<string> {
  const pane = tmux.open(shellArgv(shell));
  try {
    const ready = await tmux.waitFor(pane, (screen) => screen.includes(PROMPT.trimEnd()));
    assert.ok(ready.includes(PROMPT.trimEnd()), `${shell} showed no prompt:\n${ready}`);
    tmux.type(pane, typed);
    tmux.press(pane, 'Tab');
    tmux.type(pane, 'Q');
    const after = await tmux.waitFor(pane, (screen) => screen.includes('Q'));
    assert.ok(after.includes(`${PROMPT}${typed}Q`), `${shell}: ${JSON.stringify(typed)} + TAB should complete nothing; the screen:\n${after}`);
    assertNoNode(shell, typed);
    return after;
  } finally {
    tmux.close(pane);
  }
}

/** The namespace name without its last character, so that TAB has something to add. */
function partialName(): string {
  return namespace.slice(0, -1);
}

for (const shell of ['bash', 'zsh', 'fish'] as const) {
  const reason = skipAll ? undefined : shellSkip(shell);
  if (reason) skipReason(reason);
  const check = skipAll || reason ? test.skip : test;

  check(`${shell}: an option completes (--li -> --list)`, async () => {
    await complete(shell, 'netns-run --li', 'netns-run --list');
  });

  check(`${shell}: the last of the options completes too (--for -> --force)`, async () => {
    await complete(shell, 'netns-run --for', 'netns-run --force');
  });

  check(`${shell}: NAME completes from /run/netns`, async () => {
    await complete(shell, `netns-run ${partialName()}`, `netns-run ${namespace}`);
  });

  for (const action of ['--status', '--ensure', '--down', '--unit']) {
    check(`${shell}: the NAME of ${action} completes from /run/netns`, async () => {
      await complete(shell, `netns-run ${action} ${partialName()}`, `netns-run ${action} ${namespace}`);
    });
  }

  check(`${shell}: the USER of --user completes (roo -> root)`, async () => {
    await complete(shell, 'netns-run --user roo', 'netns-run --user root');
  });

  check(`${shell}: the DIR of -C completes (/pro -> /proc/)`, async () => {
    await complete(shell, 'netns-run -C /pro', 'netns-run -C /proc/');
  });

  check(`${shell}: after --list its modifier completes (--js -> --json)`, async () => {
    await complete(shell, 'netns-run --list --js', 'netns-run --list --json');
  });

  check(`${shell}: after -u USER NAME -- the command completes: USER is not taken for NAME`, async () => {
    await complete(shell, `netns-run -u root ${namespace} -- whoam`, `${namespace} -- whoami`);
  });

  check(`${shell}: after NAME -- the command completes (whoam -> whoami)`, async () => {
    await complete(shell, `netns-run ${namespace} -- whoam`, `-- whoami`);
  });

  check(`${shell}: after NAME without -- the command completes too`, async () => {
    await complete(shell, `netns-run ${namespace} whoam`, `${namespace} whoami`);
  });

  check(`${shell}: the command's own completion completes its options (ls --almost -> --almost-all)`, async () => {
    await complete(shell, `netns-run ${namespace} -- ls --almost`, 'ls --almost-all');
  });

  const gitReason = skipAll || reason || has('git') ? undefined : `git is not installed: ${shell}'s completion of git's subcommands after NAME is not tested`;
  if (gitReason) skipReason(gitReason);
  (gitReason ? test.skip : check)(`${shell}: the command's own completion completes its subcommands (git statu -> status)`, async () => {
    await complete(shell, `netns-run ${namespace} -- git statu`, 'git status');
  });

  check(`${shell}: after --status NAME no command completes`, async () => {
    await completesNothing(shell, `netns-run --status ${namespace} whoam`);
  });

  check(`${shell}: after --list no command completes`, async () => {
    await completesNothing(shell, 'netns-run --list whoam');
  });

  check(`${shell}: after --unit NAME no command completes`, async () => {
    await completesNothing(shell, `netns-run --unit ${namespace} whoam`);
  });

  check(`${shell}: completing starts no Node process`, async () => {
    // Each kind of completion once more, then the marker must be absent.
    await complete(shell, `netns-run --status ${partialName()}`, `--status ${namespace}`);
    await complete(shell, `netns-run ${partialName()}`, `netns-run ${namespace}`);
    await complete(shell, 'netns-run --ens', 'netns-run --ensure');
    await complete(shell, `netns-run ${namespace} -- ls --almost`, 'ls --almost-all');
    assert.not.ok(existsSync(marker), `a TAB in ${shell} started node or netns-run`);
  });
}

test.run();
