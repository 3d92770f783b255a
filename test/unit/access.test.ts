import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { checkDirectory, findCommand, mayExecute } from '../../src/access.js';
import type { Caller } from '../../src/caller.js';
import { NetnsRunError } from '../../src/errors.js';

const ALICE = { uid: 1000, gid: 1000, groups: [1000, 27] };
const ROOT = { uid: 0, gid: 0, groups: [0] };
const REGULAR = 0o100000;

/** A regular file with these permission bits, owned by uid:gid. */
const file = (mode: number, uid: number, gid: number) => ({ mode: REGULAR | mode, uid, gid });

test('owner: the owner bits decide', () => {
  assert.ok(mayExecute(file(0o700, 1000, 0), ALICE));
  assert.ok(mayExecute(file(0o100, 1000, 0), ALICE));
  assert.not.ok(mayExecute(file(0o600, 1000, 0), ALICE));
  // The kernel takes the first class that matches: group and other bits do not help the owner.
  assert.not.ok(mayExecute(file(0o677, 1000, 1000), ALICE));
  assert.not.ok(mayExecute(file(0o611, 1000, 0), ALICE));
});

test('primary group: the group bits decide', () => {
  assert.ok(mayExecute(file(0o010, 0, 1000), ALICE));
  assert.ok(mayExecute(file(0o750, 0, 1000), ALICE));
  assert.not.ok(mayExecute(file(0o740, 0, 1000), ALICE));
  // Other bits do not help a member of the group.
  assert.not.ok(mayExecute(file(0o701, 0, 1000), ALICE));
});

test('supplementary group: the group bits decide', () => {
  assert.ok(mayExecute(file(0o750, 0, 27), ALICE));
  assert.not.ok(mayExecute(file(0o705, 0, 27), ALICE));
  // A group the caller is not in is "other".
  assert.not.ok(mayExecute(file(0o750, 0, 28), ALICE));
  assert.ok(mayExecute(file(0o705, 0, 28), ALICE));
});

test('other: the other bits decide', () => {
  assert.ok(mayExecute(file(0o001, 0, 0), ALICE));
  assert.ok(mayExecute(file(0o755, 0, 0), ALICE));
  assert.not.ok(mayExecute(file(0o770, 0, 0), ALICE));
  assert.not.ok(mayExecute(file(0o754, 0, 0), ALICE));
});

test('a caller with no supplementary groups still has the primary one', () => {
  const caller = { uid: 1000, gid: 1000, groups: [] };
  assert.ok(mayExecute(file(0o010, 0, 1000), caller));
  assert.not.ok(mayExecute(file(0o010, 0, 27), caller));
});

test('root: any execute bit will do, none will not', () => {
  for (const mode of [0o100, 0o010, 0o001, 0o111, 0o700]) assert.ok(mayExecute(file(mode, 1000, 1000), ROOT), mode.toString(8));
  for (const mode of [0o000, 0o666, 0o644, 0o4666]) assert.not.ok(mayExecute(file(mode, 1000, 1000), ROOT), mode.toString(8));
});

test('setuid, setgid and sticky bits are not execute bits', () => {
  assert.not.ok(mayExecute(file(0o4644, 1000, 0), ALICE));
  assert.not.ok(mayExecute(file(0o2604, 0, 1000), ALICE));
  assert.not.ok(mayExecute(file(0o1640, 0, 0), ALICE));
});

/** The user running the tests, as a Caller: asCaller then changes nothing. */
function me(): Caller {
  const info = userInfo();
  return { elevation: 'root', uid: info.uid, gid: info.gid, groups: process.getgroups!(), user: info.username, home: info.homedir, shell: '/bin/sh' };
}

function thrown(fn: () => unknown): NetnsRunError {
  try {
    fn();
  } catch (error) {
    assert.instance(error, NetnsRunError);
    return error as NetnsRunError;
  }
  assert.unreachable('no error');
  throw new Error('unreachable');
}

test('--chdir to a directory that is not there: the refusal names the DIR given, in words, and asks for another DIR', () => {
  const failure = thrown(() => checkDirectory('/nonexistent-nrf/x', me(), '/nonexistent-nrf/x'));
  assert.is(failure.status, 125);
  assert.match(failure.message, /^cannot start in "\/nonexistent-nrf\/x" \(--chdir\): no such directory; give a directory /);
  assert.not.match(failure.message, /ENOENT|current directory|cd to/);
  // A relative DIR is named as given, with where it led.
  assert.match(thrown(() => checkDirectory('/srv/nrf-none', me(), 'nrf-none')).message, /^cannot start in "nrf-none" \(--chdir, "\/srv\/nrf-none"\): no such directory/);
  // Without --chdir it is the current directory, and a cd helps.
  assert.match(thrown(() => checkDirectory('/nonexistent-nrf', me())).message, /current directory .*: no such directory; cd to /);
  assert.match(thrown(() => checkDirectory('/etc/passwd/x', me(), '/etc/passwd/x')).message, /a part of the path is not a directory/);
});

test('a directory as COMMAND is said to be one, status 126', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nrf-access-'));
  try {
    mkdirSync(join(dir, 'tool'));
    const byPath = thrown(() => findCommand(dir, '/usr/bin', '/', me()));
    assert.is(byPath.status, 126);
    assert.match(byPath.message, /: is a directory, not a program/);
    assert.not.match(byPath.message, /permission denied/);
    const byName = thrown(() => findCommand('tool', dir, '/', me()));
    assert.is(byName.status, 126);
    assert.match(byName.message, new RegExp(`^tool: is a directory \\(${dir}/tool\\)`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
