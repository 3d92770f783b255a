import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { identify, type ProcessIds } from '../../src/caller.js';
import { NetnsRunError } from '../../src/errors.js';

const ROOT: ProcessIds = { uid: 0, euid: 0, gid: 0, groups: [0, 4] };
/** A setuid-root wrapper run by uid 1000: real ids are the user's, euid is 0. */
const SETUID: ProcessIds = { uid: 1000, euid: 0, gid: 1000, groups: [1000, 27, 100] };

function refusal(ids: ProcessIds, env: NodeJS.ProcessEnv): NetnsRunError {
  try {
    const who = identify(ids, env);
    assert.unreachable(`accepted ${JSON.stringify(env)} as ${JSON.stringify(who)}`);
  } catch (error) {
    assert.instance(error, NetnsRunError, String(error));
    const failure = error as NetnsRunError;
    assert.is(failure.status, 125);
    assert.not.match(failure.message, /[\r\n]/);
    return failure;
  }
  throw new Error('unreachable');
}

test('root: uid 0 with the process\'s own gid and groups', () => {
  assert.equal(identify(ROOT, {}), { elevation: 'root', uid: 0, gid: 0, groups: [0, 4] });
  assert.equal(identify(ROOT, { HOME: '/root', PATH: '/usr/bin' }), { elevation: 'root', uid: 0, gid: 0, groups: [0, 4] });
});

test('sudo: real uid 0 with SUDO_UID and SUDO_GID acts for that user', () => {
  assert.equal(identify(ROOT, { SUDO_UID: '1000', SUDO_GID: '1001', SUDO_USER: 'alice' }), { elevation: 'sudo', uid: 1000, gid: 1001 });
});

test('sudo without SUDO_GID leaves the gid to the account lookup', () => {
  const who = identify(ROOT, { SUDO_UID: '1000' });
  assert.equal(who, { elevation: 'sudo', uid: 1000 });
  assert.is(who.gid, undefined);
  assert.is(who.groups, undefined);
});

test('sudo -u root (SUDO_UID=0) is a sudo run for uid 0', () => {
  assert.equal(identify(ROOT, { SUDO_UID: '0', SUDO_GID: '0' }), { elevation: 'sudo', uid: 0, gid: 0 });
});

test('pkexec: real uid 0 with PKEXEC_UID acts for that user', () => {
  const who = identify(ROOT, { PKEXEC_UID: '1000' });
  assert.equal(who, { elevation: 'pkexec', uid: 1000 });
});

test('the largest valid id is accepted, (uid_t)-1 is not', () => {
  assert.is(identify(ROOT, { SUDO_UID: '4294967294' }).uid, 4294967294);
  refusal(ROOT, { SUDO_UID: '4294967295' });
  refusal(ROOT, { PKEXEC_UID: '4294967295' });
});

test('setuid: the real uid is the caller, SUDO_* and PKEXEC_UID are not read at all', () => {
  const expected = { elevation: 'setuid', uid: 1000, gid: 1000, groups: [1000, 27, 100] };
  assert.equal(identify(SETUID, {}), expected);
  // A user can set these to anything: claiming root must not work...
  assert.equal(identify(SETUID, { SUDO_UID: '0', SUDO_GID: '0' }), expected);
  assert.equal(identify(SETUID, { PKEXEC_UID: '0' }), expected);
  assert.equal(identify(SETUID, { SUDO_UID: '0', PKEXEC_UID: '0' }), expected);
  // ...and garbage in them is ignored, not parsed.
  assert.equal(identify(SETUID, { SUDO_UID: 'x', SUDO_GID: '-1', PKEXEC_UID: '0x10' }), expected);
});

test('without effective uid 0 netns-run refuses with 125, whatever the environment says', () => {
  const failure = refusal({ uid: 1000, euid: 1000, gid: 1000, groups: [1000] }, {});
  assert.match(failure.message, /root/);
  refusal({ uid: 1000, euid: 1000, gid: 1000, groups: [1000] }, { SUDO_UID: '1000', SUDO_GID: '1000' });
  refusal({ uid: 0, euid: 1000, gid: 0, groups: [0] }, { PKEXEC_UID: '1000' });
});

const MALFORMED = ['-1', '1e3', ' 5', '5 ', '0x10', '99999999999', '+5', '05', '1.0', 'abc', '5\n', '１'];

test('malformed SUDO_UID, SUDO_GID and PKEXEC_UID are refused with 125 and named', () => {
  for (const value of MALFORMED) {
    assert.match(refusal(ROOT, { SUDO_UID: value }).message, /SUDO_UID=/, `SUDO_UID=${JSON.stringify(value)}`);
    assert.match(refusal(ROOT, { SUDO_UID: '1000', SUDO_GID: value }).message, /SUDO_GID=/, `SUDO_GID=${JSON.stringify(value)}`);
    assert.match(refusal(ROOT, { PKEXEC_UID: value }).message, /PKEXEC_UID=/, `PKEXEC_UID=${JSON.stringify(value)}`);
  }
});

test('an empty SUDO_UID or PKEXEC_UID is malformed, not absent: refused with 125', () => {
  // sudo and pkexec never set these empty; an empty one must not quietly turn into a root run.
  assert.match(refusal(ROOT, { SUDO_UID: '' }).message, /SUDO_UID=""/);
  assert.match(refusal(ROOT, { PKEXEC_UID: '' }).message, /PKEXEC_UID=""/);
});

test.run();
