import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Caller } from '../../src/caller.js';
import { isUnsafeForRoot, splitEnvironment, targetEnvironment } from '../../src/environment.js';

const ALICE: Caller = {
  elevation: 'sudo',
  uid: 1000,
  gid: 1000,
  groups: [1000, 27],
  user: 'alice',
  home: '/home/alice',
  shell: '/bin/zsh',
};

/** What sudo leaves in the environment of the program it runs. */
const SUDO_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  TERM: 'xterm-256color',
  LANG: 'C.UTF-8',
  HOME: '/root',
  USER: 'root',
  LOGNAME: 'root',
  SHELL: '/bin/bash',
  MAIL: '/var/mail/root',
  SUDO_COMMAND: '/usr/bin/netns-run wg -- id',
  SUDO_USER: 'alice',
  SUDO_UID: '1000',
  SUDO_GID: '1000',
  SUDO_HOME: '/home/alice',
  SUDO_PS1: '# ',
};

test('targetEnvironment drops what sudo and pkexec added', () => {
  const target = targetEnvironment({ ...SUDO_ENV, PKEXEC_UID: '1000' }, ALICE, 'wg');
  for (const key of ['SUDO_COMMAND', 'SUDO_USER', 'SUDO_UID', 'SUDO_GID', 'SUDO_HOME', 'SUDO_PS1', 'PKEXEC_UID']) {
    assert.not.ok(key in target, `${key} reached the target`);
  }
});

test('targetEnvironment sets HOME, USER, LOGNAME, SHELL from the caller and NETNS_RUN_NAME', () => {
  const target = targetEnvironment({ ...SUDO_ENV, NETNS_RUN_NAME: 'outer' }, ALICE, 'wg');
  assert.is(target.HOME, '/home/alice');
  assert.is(target.USER, 'alice');
  assert.is(target.LOGNAME, 'alice');
  assert.is(target.SHELL, '/bin/zsh');
  assert.is(target.NETNS_RUN_NAME, 'wg');
});

test("targetEnvironment points MAIL at the caller's mailbox, not root's, and adds none where there was none", () => {
  assert.is(targetEnvironment(SUDO_ENV, ALICE, 'wg').MAIL, '/var/mail/alice');
  const { MAIL: _mail, ...withoutMail } = SUDO_ENV;
  assert.not.ok('MAIL' in targetEnvironment(withoutMail, ALICE, 'wg'));
});

test('targetEnvironment sets them also when the caller\'s environment lacks them', () => {
  const target = targetEnvironment({}, ALICE, 'vpn0');
  assert.equal(target, { HOME: '/home/alice', USER: 'alice', LOGNAME: 'alice', SHELL: '/bin/zsh', NETNS_RUN_NAME: 'vpn0' });
});

test('targetEnvironment keeps everything else unchanged, LD_* included, and leaves its input alone', () => {
  const env: NodeJS.ProcessEnv = { ...SUDO_ENV, LD_PRELOAD: '/x.so', EMPTY: '', WEIRD: 'a=b\nc', 'MY-VAR': 'x' };
  const before = { ...env };
  const target = targetEnvironment(env, ALICE, 'wg');
  assert.is(target.PATH, SUDO_ENV.PATH);
  assert.is(target.TERM, 'xterm-256color');
  assert.is(target.LANG, 'C.UTF-8');
  assert.is(target.LD_PRELOAD, '/x.so');
  assert.is(target.EMPTY, '');
  assert.is(target.WEIRD, 'a=b\nc');
  assert.is(target['MY-VAR'], 'x');
  assert.equal(env, before);
});

test('targetEnvironment drops what exec cannot carry: = or NUL in a name, NUL in a value, undefined', () => {
  const target = targetEnvironment({ 'A=B': 'x', 'N\0': 'x', V: 'a\0b', U: undefined, '': 'x', OK: 'y' }, ALICE, 'wg');
  assert.equal(Object.keys(target).sort(), ['HOME', 'LOGNAME', 'NETNS_RUN_NAME', 'OK', 'SHELL', 'USER']);
});

/** glibc's UNSECURE_ENVVARS (sysdeps/generic/unsecvars.h) plus the tunables. */
const GLIBC_UNSECURE = [
  'GCONV_PATH', 'GETCONF_DIR', 'GLIBC_TUNABLES', 'HOSTALIASES', 'LD_AUDIT', 'LD_DEBUG', 'LD_DEBUG_OUTPUT',
  'LD_DYNAMIC_WEAK', 'LD_HWCAP_MASK', 'LD_LIBRARY_PATH', 'LD_ORIGIN_PATH', 'LD_PRELOAD', 'LD_PROFILE',
  'LD_SHOW_AUXV', 'LD_USE_LOAD_BIAS', 'LOCALDOMAIN', 'LOCPATH', 'MALLOC_ARENA_MAX', 'MALLOC_ARENA_TEST',
  'MALLOC_CHECK_', 'MALLOC_MMAP_MAX_', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_PERTURB_', 'MALLOC_TOP_PAD_',
  'MALLOC_TRACE', 'MALLOC_TRIM_THRESHOLD_', 'NIS_PATH', 'NLSPATH', 'RESOLV_HOST_CONF', 'RES_OPTIONS',
  'TMPDIR', 'TZDIR',
];

/** What a root program's glibc follows to files: message catalogues (format strings) and zone files. */
const LOCALE_AND_ZONE = ['LANG', 'LANGUAGE', 'LC_ALL', 'LC_MESSAGES', 'LC_CTYPE', 'LC_FUTURE_THING', 'TZ'];

test('every variable glibc distrusts, any LD_*, the locale and the time zone are unsafe for root', () => {
  for (const key of [...GLIBC_UNSECURE, ...LOCALE_AND_ZONE, 'LD_BIND_NOW', 'LD_FUTURE_THING', 'LD_']) assert.ok(isUnsafeForRoot(key), key);
  for (const key of ['PATH', 'TERM', 'HOME', 'OLD_PWD', 'XLD_PRELOAD', 'ld_preload', 'XLC_ALL', 'lang']) assert.not.ok(isUnsafeForRoot(key), key);
});

test('a name no shell can set (an exported bash function) goes to env(1), not to the helpers', () => {
  const { helpers, restore } = splitEnvironment({ 'BASH_FUNC_f%%': '() { :; }', 'A.B': '1', OK: '2' });
  assert.equal(helpers, { OK: '2' });
  assert.equal([...restore].sort(), ['A.B=1', 'BASH_FUNC_f%%=() { :; }']);
});

test('splitEnvironment moves the unsafe ones into restore words and keeps the rest for the helpers', () => {
  const target: Record<string, string> = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', TERM: 'xterm', HOME: '/home/alice' };
  for (const key of GLIBC_UNSECURE) target[key] = `value of ${key}`;
  target.LD_BIND_NOW = '1';
  const { helpers, restore } = splitEnvironment(target);

  assert.equal(helpers, { PATH: '/usr/bin:/bin', TERM: 'xterm', HOME: '/home/alice' });
  assert.equal([...restore].sort(), [...GLIBC_UNSECURE.map((key) => `${key}=value of ${key}`), 'LANG=C.UTF-8', 'LD_BIND_NOW=1'].sort());
});

test('restore words keep values verbatim: =, spaces, newlines, empty', () => {
  const { helpers, restore } = splitEnvironment({ LD_PRELOAD: 'a=b c', TMPDIR: '/tmp/x\ny', LD_LIBRARY_PATH: '' });
  assert.equal(helpers, {});
  assert.equal([...restore].sort(), ['LD_LIBRARY_PATH=', 'LD_PRELOAD=a=b c', 'TMPDIR=/tmp/x\ny']);
});

test('nothing to restore: restore is empty and helpers carry everything', () => {
  const { helpers, restore } = splitEnvironment({ PATH: '/bin', NETNS_RUN_NAME: 'wg' });
  assert.equal(restore, []);
  assert.equal(helpers, { PATH: '/bin', NETNS_RUN_NAME: 'wg' });
});

test.run();
