// Self-elevation with the caller's own environment (SECURITY.md, "keep-env";
// src/handover.ts): a plain user types `netns-run NAME -- COMMAND`, their
// netns-run hands their environment over to the elevated one as data. The
// attacker fills that environment with everything that would steer root's
// Node or root's helpers (NODE_OPTIONS, NODE_PATH, LD_PRELOAD, ...) and
// names hand-over files that are not theirs. Each run happens in a sandbox
// whose /etc is an overlay, so the policy's `elevate sudo keep-env` line
// never reaches this machine's own /etc/netns-run.conf.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { attackSuite, enterMode, leaveMode, makeShared, plant, plantDir, type Attacker } from '../support/attack.js';
import { nothingGained } from '../support/attack-checks.js';
import { removeEverything } from '../support/kernel.js';
import { BIN, NODE_DIR, skipReason, uniqueName } from '../support/netns-run.js';
import { describe, sandbox } from '../support/sandbox.js';
import { skip } from '../support/skip.js';

let SHARED = '';

const suite = attackSuite('handover.test', test, {
  uniqueName,
  skipReason,
  remove: removeEverything,
  async setup() {
    SHARED = suite.fresh('fho');
    await makeShared(SHARED);
  },
});

const GRANT_ALL = 'printf "allow %s * create\\n" "$U"';

/** `env -i` words for the user: what their session would hold, plus `extra`. */
function userEnv(a: Attacker, extra: Record<string, string>): string {
  const env: Record<string, string> = {
    PATH: `${a.home}/bin:${NODE_DIR}:/usr/local/bin:/usr/bin:/bin`,
    HOME: a.home,
    USER: a.user.name,
    LANG: 'C.UTF-8',
    ...extra,
  };
  return Object.entries(env).map(([key, value]) => `'${key}=${value.replaceAll("'", "'\\''")}'`).join(' ');
}

/** Runs SCRIPT in a sandbox with policy POLICY_LINES (after the user's grant), as root; $RUN runs words as the user. */
async function withPolicy(a: Attacker, policyLines: string, script: string) {
  return sandbox(
    `{ ${GRANT_ALL}; printf '%s\\n' ${policyLines}; } > /etc/netns-run.conf; chmod 644 /etc/netns-run.conf\n${script}`,
    { overlay: ['/etc'], env: { U: a.user.name, NAME: SHARED, BIN } },
  );
}

function hostile(a: Attacker): Record<string, string> {
  const e = a.evil;
  return {
    NODE_OPTIONS: `--require=${e}/evil.cjs`,
    NODE_PATH: `${e}/node_path`,
    LD_PRELOAD: `${e}/lib/libevil.so`,
    LD_LIBRARY_PATH: `${e}/lib`,
    GCONV_PATH: `${e}/gconv`,
    BASH_ENV: `${e}/shellrc`,
    ENV: `${e}/shellrc`,
    WAYLAND_DISPLAY: 'wayland-nrf',
    DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/nrf/bus',
    XDG_RUNTIME_DIR: '/run/user/nrf',
  };
}

suite.attack('keep-env: the target gets the caller\'s environment and ~/bin PATH; NODE_OPTIONS, NODE_PATH, LD_PRELOAD never reach root', async (a) => {
  enterMode('self', a);
  try {
    // A command only the user's own PATH finds.
    plantDir(a, join(a.home, 'bin'));
    plant(a, join(a.home, 'bin', 'nrf-mine'), '#!/bin/sh\necho "preload=$LD_PRELOAD"\necho "node_options=$NODE_OPTIONS"\nunset LD_PRELOAD LD_LIBRARY_PATH\necho "mine $(id -u) $WAYLAND_DISPLAY $XDG_RUNTIME_DIR $DBUS_SESSION_BUS_ADDRESS"\n', 0o755);
    const as = `runuser -u "$U" -- /usr/bin/env -i ${userEnv(a, hostile(a))}`;
    const result = await withPolicy(a, "'elevate sudo keep-env'", `section run; cd /; ${as} "$BIN" "$NAME" -- nrf-mine 2>&1; echo "rc=$?"`);
    const out = result.sections.run ?? '';
    assert.match(out, new RegExp(`^mine ${a.user.uid} wayland-nrf /run/user/nrf unix:path=/run/user/nrf/bus$`, 'm'), `the target lacks the caller's environment: ${describe(result)} ${out}`);
    assert.match(out, new RegExp(`^preload=${a.evil}/lib/libevil.so$`, 'm'), 'LD_PRELOAD was not given back to the target');
    assert.match(out, new RegExp(`^node_options=--require=${a.evil}/evil.cjs$`, 'm'), 'NODE_OPTIONS was not given to the target');
    assert.match(out, /^rc=0$/m, out);
    // The payloads ran as the user in the target at most; never as root.
    nothingGained(a, 'keep-env');
  } finally {
    leaveMode('self');
  }
});

suite.attack('without keep-env the target gets sudo\'s environment, and a command only ~/bin has is refused naming sudo\'s PATH', async (a) => {
  enterMode('self', a);
  try {
    plantDir(a, join(a.home, 'bin'));
    plant(a, join(a.home, 'bin', 'nrf-mine'), '#!/bin/sh\necho mine\n', 0o755);
    const as = `runuser -u "$U" -- /usr/bin/env -i ${userEnv(a, hostile(a))}`;
    const result = await withPolicy(a, "'elevate sudo'", `section run; cd /; ${as} "$BIN" "$NAME" -- nrf-mine 2>&1; echo "rc=$?"`);
    const lines = (result.sections.run ?? '').trimEnd().split('\n');
    assert.is(lines.length, 2, `expected one line and the status: ${describe(result)} ${JSON.stringify(lines)}`);
    assert.match(lines[0]!, /^netns-run: nrf-mine: command not found.*PATH searched is the one sudo set \(its secure_path\)/);
    assert.match(lines[0]!, /keep-env/);
    assert.is(lines[1], 'rc=127');
    nothingGained(a, 'no keep-env');
  } finally {
    leaveMode('self');
  }
});

suite.attack('a sudo that says yes to sudo -n -l and then cannot start netns-run leaves nothing in the caller\'s temporary directory (no keep-env: no hand-over)', async (a) => {
  enterMode('self', a);
  try {
    const tmp = join(a.home, 'tmp');
    plantDir(a, tmp);
    const as = `runuser -u "$U" -- /usr/bin/env -i ${userEnv(a, { TMPDIR: tmp })}`;
    const result = await withPolicy(a, "'elevate sudo'", [
      // sudo still lets the user run netns-run; root's launcher then finds no node, as when sudo's rules change in between.
      'printf \'Defaults:%s secure_path=/nonexistent\\n\' "$U" > /etc/sudoers.d/zz-nrm-nonode; chmod 440 /etc/sudoers.d/zz-nrm-nonode',
      `section run; cd /; ${as} "$BIN" "$NAME" -- true 2>&1; echo "rc=$?"`,
      `section left; ls -A ${tmp}`,
    ].join('\n'));
    const out = result.sections.run ?? '';
    assert.match(out, /^rc=127$/m, `the elevated run did not fail as planned (node not found): ${describe(result)} ${out}`);
    assert.not.match(out, /sudo does not let/, 'sudo -n -l refused: the case was not reached');
    assert.is(result.sections.left, '', `left in the caller's TMPDIR: ${result.sections.left}`);
  } finally {
    leaveMode('self');
  }
});

suite.attack('a hand-over file of another user, root\'s, a symbolic link or one others may write is refused through sudo', async (a) => {
  const e = a.evil;
  plant(a, join(e, 'env-open'), 'A=1\0', 0o666);
  const as = `runuser -u "$U" -- /usr/bin/env -i PATH=${NODE_DIR}:/usr/bin:/bin HOME="${a.home}"`;
  const result = await withPolicy(a, "'elevate sudo keep-env'", [
    `printf 'SECRET=1\\0' > /etc/nrf-root-env; chmod 644 /etc/nrf-root-env`,
    `ln -s /etc/nrf-root-env ${e}/env-link; chown -h "$U" ${e}/env-link`,
    `section root; ${as} sudo -n "$BIN" --caller-env=/etc/nrf-root-env "$NAME" -- true 2>&1; echo "rc=$?"`,
    `section link; ${as} sudo -n "$BIN" --caller-env=${e}/env-link "$NAME" -- true 2>&1; echo "rc=$?"`,
    `section open; ${as} sudo -n "$BIN" --caller-env=${e}/env-open "$NAME" -- true 2>&1; echo "rc=$?"`,
    `section shadow; ${as} sudo -n "$BIN" --caller-env=/etc/shadow "$NAME" -- true 2>&1; echo "rc=$?"`,
    `section plain; ${as} "$BIN" --caller-env=${e}/env-open "$NAME" -- true 2>&1; echo "rc=$?"`,
    'section left; test -e /etc/nrf-root-env && echo kept',
  ].join('\n'));
  for (const [key, why] of [['root', /not owned by|may not read/], ['link', /symbolic link/], ['open', /others may read or write/], ['shadow', /may not read it|not owned by/], ['plain', /own self-elevation/]] as const) {
    const lines = (result.sections[key] ?? '').trimEnd().split('\n');
    assert.is(lines.length, 2, `${key}: ${describe(result)} ${JSON.stringify(lines)}`);
    assert.match(lines[0]!, /^netns-run: --caller-env/, `${key}: ${lines[0]}`);
    assert.match(lines[0]!, why, `${key}: ${lines[0]}`);
    assert.is(lines[1], 'rc=125', key);
  }
  assert.is(result.sections.left, 'kept\n', 'root\'s file named as a hand-over was removed');
  nothingGained(a, 'hand-over files');
});

suite.attack('pkexec that cannot get authority (no polkit daemon here) ends as one netns-run line and 125, not pkexec\'s 127', async (a) => {
  enterMode('self', a);
  try {
    const as = `runuser -u "$U" -- /usr/bin/env -i PATH=${NODE_DIR}:/usr/bin:/bin HOME="${a.home}"`;
    const result = await withPolicy(a, "'elevate pkexec'", `command -v pkexec >/dev/null || { section none; exit 0; }\nsection run; cd /; ${as} "$BIN" "$NAME" -- true 2>"$SANDBOX/err"; echo "rc=$?"; cat "$SANDBOX/err"`);
    if (result.sections.none !== undefined) {
      skip('pkexec is not installed: its failure translation was not tried');
    }
    const out = result.sections.run ?? '';
    if (/^rc=0$/m.test(out)) {
      skip('pkexec let the user through here (polkit running with a rule): its failure translation was not tried');
    }
    const [rc, ...stderr] = out.trimEnd().split('\n');
    assert.is(rc, 'rc=125', `${describe(result)} ${out}`);
    // One line, ours: not pkexec's "Error getting authority" before it.
    assert.is(stderr.length, 1, `stderr is not one line: ${JSON.stringify(stderr)}`);
    assert.match(stderr[0] ?? '', /^netns-run: pkexec (cannot give|did not give) netns-run root.*polkit/, out);
    nothingGained(a, 'pkexec failure');
  } finally {
    leaveMode('self');
  }
});

test.run();
