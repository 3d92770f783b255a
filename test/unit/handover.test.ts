// The hand-over of self-elevation (src/handover.ts): the caller's
// environment as data, and root's checks on the file. The checks that need
// two users run as root with a made-up caller (uid 65534, nobody); the
// attacks through real sudo are in test/security/handover.test.ts.
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Caller } from '../../src/caller.js';
import { NetnsRunError } from '../../src/errors.js';
import { decodeEnvironment, encodeEnvironment, takeHandover, writeHandover } from '../../src/handover.js';
import { skippable } from '../support/skip.js';

test('an environment survives encoding byte for byte, = and newlines in values included; unpassable names are left out', () => {
  const env = { PATH: '/home/u/bin:/usr/bin', WAYLAND_DISPLAY: 'wayland-0', ODD: 'a=b\nc', EMPTY: '' };
  assert.equal(decodeEnvironment(encodeEnvironment(env)), env);
  assert.equal(decodeEnvironment(encodeEnvironment({ 'A=B': 'x', '': 'y', NUL: 'a\0b', OK: '1' })), { OK: '1' });
});

const isRoot = process.geteuid?.() === 0;
const NOBODY: Caller = { elevation: 'sudo', uid: 65534, gid: 65534, groups: [], user: 'nobody', home: '/nonexistent', shell: '/bin/sh' };
// Counted as skipped, with the reason, where only the pure tests can run.
const rootTest = skippable(test, isRoot ? undefined : 'takeHandover as another user needs root; the pure tests ran');

/** A 0711 scratch directory with a 0700 directory owned by nobody inside, as a caller's mkdtemp would make. */
function scratch(): { dir: string; mine: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nrf-handover-'));
  chmodSync(dir, 0o711);
  const mine = join(dir, 'mine');
  mkdirSync(mine, { mode: 0o700 });
  chownSync(mine, NOBODY.uid, NOBODY.gid);
  return { dir, mine, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function handedFile(at: string, content: string, mode = 0o600, owner = NOBODY.uid): string {
  writeFileSync(at, content, { mode });
  chmodSync(at, mode);
  chownSync(at, owner, NOBODY.gid);
  return at;
}

function refusedWith(file: string, why: RegExp): void {
  try {
    takeHandover(file, NOBODY);
  } catch (error) {
    assert.instance(error, NetnsRunError);
    assert.match((error as Error).message, why);
    assert.match((error as Error).message, /^--caller-env=/);
    assert.is((error as NetnsRunError).status, 125);
    return;
  }
  assert.unreachable(`${file} was accepted`);
}

rootTest('root takes the caller\'s own 0600 file, as the caller, and removes it', () => {
  const s = scratch();
  try {
    const file = handedFile(join(s.mine, 'caller-env'), 'A=1\0PATH=/x\0');
    assert.equal(takeHandover(file, NOBODY), { A: '1', PATH: '/x' });
    assert.not.ok(existsSync(file), 'the hand-over was left behind');
  } finally {
    s.done();
  }
});

rootTest('refused: a file of another user (root\'s), a symbolic link, a file others may read, a hard link, a FIFO, a relative path', () => {
  const s = scratch();
  try {
    // Root's own file where the caller can see it: never read for them.
    const roots = handedFile(join(s.dir, 'roots'), 'SECRET=1\0', 0o600, 0);
    chmodSync(s.dir, 0o755);
    refusedWith(roots, /nobody may not read it|not owned by nobody/);
    assert.ok(existsSync(roots), 'root\'s file was removed');
    const readable = handedFile(join(s.dir, 'readable'), 'SECRET=1\0', 0o644, 0);
    refusedWith(readable, /not owned by nobody/);
    assert.ok(existsSync(readable), 'another user\'s file was removed');
    // A link the caller planted, to a file of theirs or of root's.
    const own = handedFile(join(s.mine, 'own'), 'A=1\0');
    symlinkSync(own, join(s.mine, 'link'));
    refusedWith(join(s.mine, 'link'), /symbolic link/);
    symlinkSync(readable, join(s.mine, 'rootlink'));
    refusedWith(join(s.mine, 'rootlink'), /symbolic link/);
    const open = handedFile(join(s.mine, 'open'), 'A=1\0', 0o644);
    refusedWith(open, /others may read or write it/);
    linkSync(own, join(s.mine, 'second'));
    refusedWith(own, /hard links/);
    refusedWith('relative/caller-env', /absolute/);
    // A file of the caller's behind a directory only root may pass: root
    // could open it, the caller could not, so it is not read for them.
    const hidden = join(s.dir, 'rootonly');
    mkdirSync(hidden, { mode: 0o700 });
    const behind = handedFile(join(hidden, 'caller-env'), 'A=1\0');
    refusedWith(behind, /nobody may not read it/);
    assert.ok(existsSync(behind), 'a file behind root\'s directory was removed');
    refusedWith(join(s.mine, 'missing'), /does not exist/);
  } finally {
    s.done();
  }
});

test('writeHandover: a 0600 file in a new 0700 directory; empty unless keep; untaken until removed', () => {
  const kept = writeHandover({ A: '1' }, true);
  const empty = writeHandover({ A: '1' }, false);
  try {
    assert.ok(kept.untaken());
    assert.equal(decodeEnvironment(Buffer.from(readFileSync(kept.file))), { A: '1' });
    assert.is(statSync(kept.file).mode & 0o777, 0o600);
    assert.is(statSync(join(kept.file, '..')).mode & 0o777, 0o700);
    assert.is(readFileSync(empty.file).length, 0, 'without keep-env the environment was written');
    rmSync(kept.file);
    assert.not.ok(kept.untaken());
  } finally {
    kept.remove();
    empty.remove();
  }
  assert.not.ok(existsSync(join(kept.file, '..')), 'remove() left the directory');
});

test.run();
