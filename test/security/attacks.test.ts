// The adversarial suite, part 1: what a hostile user can hand netns-run on
// the way in (environment, PATH, options, names, forged identity) through
// each way it reaches root: real sudo, a setuid-root Node standing in for a
// setuid wrapper, and self-elevation (see test/support/attack.ts). Each test
// is one attack and asserts that it failed: nothing of the attacker's ran or
// was read with root's rights, nothing was made, and a refusal is one line.
//
// Part 2 (policy.test.ts): the policy, /etc/netns/NAME, directories and
// commands. Part 3 (process.test.ts): what the target holds, signals,
// resource limits, races, user namespaces. Racing first uses by several
// callers is covered by test/kernel/concurrency.test.ts and not repeated.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  attackRun, attackSuite, auditTrace, clearMarkers, enterMode, leaveMode, plant, plantDir, privilegedCode, readMarkers, runAs, STRACE, SUDO, writableByOthers,
  type Attacker, type Mode,
  makeShared, ROOT_ENV,
} from '../support/attack.js';
import { auditClean, noSecret, nothingGained, nothingMade, refused, show, worked } from '../support/attack-checks.js';
import { anythingMentioning, everythingOf, removeEverything } from '../support/kernel.js';
import { skip } from '../support/skip.js';
import { BIN, NODE, runProgram, skipReason, uniqueName } from '../support/netns-run.js';
import { syscallNumbers } from '../../src/syscalls.js';

/** What makes the kept mount namespace as root: one perl where netns-run carries the system call numbers, else unshare and mount. */
const MOUNT_MAKERS = syscallNumbers() !== undefined ? ['perl'] : ['mount', 'unshare'];


/** A namespace that exists (made by root) and that the attacker may use. */
let SHARED = '';

const suite = attackSuite('attacks.test', test, {
  uniqueName,
  skipReason,
  remove: removeEverything,
  async setup() {
    SHARED = suite.fresh('atk');
    await makeShared(SHARED);
  },
});

// Every attack starts with no marks and nothing of root's in the attacker's home (attackSuite resets it).

/** Everything hostile at once that must change nothing (the two holes with tests of their own are left out). */
function hostileEnv(a: Attacker): Record<string, string> {
  const e = a.evil;
  return {
    PATH: `${e}/bin:evilrel::/usr/local/bin:/usr/bin:/bin`,
    LD_PRELOAD: `${e}/lib/libevil.so`,
    LD_AUDIT: `${e}/lib/libevil.so`,
    LD_LIBRARY_PATH: `${e}/lib`,
    LD_DEBUG: 'all',
    LD_DEBUG_OUTPUT: `${e}/lddebug`,
    LD_PROFILE: 'libc.so.6',
    LD_PROFILE_OUTPUT: `${e}/ldprofile`,
    GCONV_PATH: `${e}/gconv`,
    CHARSET: 'EVILCHARSET',
    GLIBC_TUNABLES: 'glibc.malloc.check=3:glibc.malloc.mmap_threshold=4096',
    LOCPATH: `${e}/locale`,
    NLSPATH: `${e}/nls/%N`,
    HOSTALIASES: `${e}/hosts`,
    RESOLV_HOST_CONF: `${e}/host.conf`,
    LOCALDOMAIN: 'evil.example',
    RES_OPTIONS: 'debug ndots:15',
    TMPDIR: `${e}/tmp`,
    TZDIR: `${e}/zoneinfo`,
    TZ: `${e}/zone`,
    LANGUAGE: `../../../..${e}/locale`,
    LC_CTYPE: `${e}/locale`,
    LC_TIME: `../../../..${e}/locale`,
    MALLOC_TRACE: `${e}/mtrace`,
    MALLOC_CHECK_: '3',
    MALLOC_PERTURB_: '85',
    NODE_OPTIONS: `--require=${e}/evil.cjs --import=${e}/evil.mjs`,
    NODE_PATH: `${e}/node_path`,
    NODE_EXTRA_CA_CERTS: `${e}/ca.pem`,
    NODE_ICU_DATA: `${e}/icu`,
    NODE_COMPILE_CACHE: `${e}/compile-cache`,
    NODE_REPL_HISTORY: `${e}/repl-history`,
    NODE_DEBUG: 'module,child_process',
    OPENSSL_CONF: `${e}/openssl.cnf`,
    OPENSSL_ENGINES: `${e}/lib`,
    OPENSSL_MODULES: `${e}/lib`,
    SSL_CERT_FILE: `${e}/ca.pem`,
    BASH_ENV: `${e}/shellrc`,
    ENV: `${e}/shellrc`,
    'BASH_FUNC_mount%%': `() { /bin/sh ${e}/shellrc; }`,
    SHELLOPTS: 'xtrace',
    PS4: `$(/bin/sh ${e}/shellrc)`,
    IFS: '/ ',
    CDPATH: e,
  };
}

// ---- the instruments work ----------------------------------------------------

suite.check('the payloads work: run by the attacker themselves, each leaves its mark', async (a) => {
  clearMarkers(a);
  const e = a.evil;
  const runs: [string[], Record<string, string>][] = [
    [[`${e}/bin/true`], {}],
    [['/bin/true'], { LD_PRELOAD: `${e}/lib/libevil.so` }],
    [['/bin/true'], { LD_AUDIT: `${e}/lib/libevil.so` }],
    [[NODE, '-e', '0'], { NODE_OPTIONS: `--require=${e}/evil.cjs` }],
    [[NODE, '-e', '0'], { NODE_OPTIONS: `--import=${e}/evil.mjs` }],
    [['/bin/bash', '-c', 'true'], { BASH_ENV: `${e}/shellrc` }],
  ];
  // stdin from /dev/null: bash skips BASH_ENV when stdin is a socket, as Node's pipes are.
  for (const [words, env] of runs) await runAs(a, words, { env, wrap: ['/bin/sh', '-c', 'exec "$@" </dev/null', 'sh'] });
  const whats = readMarkers(a).filter((m) => m.euid === a.user.uid).map((m) => m.what.split(':')[0]);
  for (const what of ['path', 'ctor', 'audit', 'node', 'shell']) assert.ok(whats.includes(what), `no ${what} mark: ${JSON.stringify(readMarkers(a))}`);
  assert.ok(readMarkers(a).filter((m) => m.what.startsWith('node')).length >= 2, 'NODE_OPTIONS --require and --import did not both leave a mark');
  clearMarkers(a);
});

suite.check('the strace audit sees a root process open the attacker\'s file', async (a) => {
  if (!STRACE) skip('strace is not installed (apt-get install strace): the audit cannot be checked');
  const log = `/tmp/nrt-audit-check-${process.pid}`;
  try {
    const result = await runProgram(STRACE, ['-f', '-qq', '-v', '-e', 'trace=%file,%process,setuid,setreuid,setresuid', '-e', 'signal=none', '-o', log, '--',
      NODE, '-e', `require('fs').readFileSync(${JSON.stringify(`${a.evil}/evil.cjs`)}); require('child_process').execFileSync('/usr/bin/env', { env: { LD_PRELOAD: 'x' } })`], { env: ROOT_ENV });
    worked(result, 'the traced root Node');
    const audit = auditTrace(readFileSync(log, 'utf8'), { attackerDirs: [a.home], scope: [NODE], ignoreImages: [], attackerEnv: ['LD_PRELOAD=x'] });
    rmSync(log, { force: true });
    assert.ok(audit.violations.some((v) => v.includes(`${a.evil}/evil.cjs`)), `the audit missed the open: ${JSON.stringify(audit)}`);
    assert.ok(audit.violations.some((v) => v.includes('LD_PRELOAD=x')), `the audit missed the unsafe variable: ${JSON.stringify(audit.violations)}`);
  } finally {
    rmSync(log, { force: true });
  }
});

// ---- the code itself ----------------------------------------------------------

suite.attack('rewrite what runs as root: netns-run, its dependencies and the runtime are root\'s alone', async (a) => {
  const { paths, roots } = privilegedCode();
  assert.equal(writableByOthers(paths, roots), [], 'someone other than root can change code that runs as root');
  const st = statSync(a.suidNode);
  assert.is(st.uid, 0, 'the setuid copy is not root\'s');
  assert.is(st.mode & 0o7777, 0o4750, 'the setuid copy has another mode');
  assert.equal(writableByOthers([a.suidNode, a.wrapper], []), [], 'the setuid copy, the wrapper or their directory is writable');
  assert.is(statSync(a.wrapper).mode & 0o7777, 0o4750, 'the wrapper has another mode');
});

// ---- PATH, the loader, glibc ------------------------------------------------------

suite.eachMode('PATH hijack: fake nsenter, setpriv, ip, mount, env, sh, flock, getent ... first in PATH (absolute, relative, empty entries) never run as root', async (mode, a) => {
  const name = suite.fresh('path');
  const env = { PATH: `${a.evil}/bin:evilrel::/usr/local/bin:/usr/bin:/bin` };
  // First use runs every setup helper; the second call is the warm path.
  for (const round of ['first use', 'warm']) {
    const result = await attackRun(mode, a, [name, '--', 'id', '-u'], { env });
    worked(result, round);
    assert.is(result.stdout.trim(), String(a.user.uid), `${round}: the target is not the attacker`);
  }
  nothingGained(a, 'PATH hijack');
  if (mode === 'setuid') {
    // The attacker's PATH reaches the target (as it should): its fake id ran there, as the attacker.
    assert.ok(readMarkers(a).some((m) => m.what === 'path:id' && m.euid === a.user.uid), `the fake id never ran as the attacker: ${JSON.stringify(readMarkers(a))}`);
  }
});

suite.eachMode('LD_PRELOAD and LD_AUDIT: the attacker\'s library never loads into a root process', async (mode, a) => {
  const name = suite.fresh('preload');
  const env = { LD_PRELOAD: `${a.evil}/lib/libevil.so`, LD_AUDIT: `${a.evil}/lib/libevil.so` };
  for (const round of ['first use', 'warm']) {
    const result = await attackRun(mode, a, [name, '--', '/bin/sh', '-c', 'echo ok'], { env });
    worked(result, round);
    assert.is(result.stdout, 'ok\n');
  }
  nothingGained(a, 'LD_PRELOAD/LD_AUDIT');
});

suite.eachMode('LD_LIBRARY_PATH, LD_DEBUG_OUTPUT, GCONV_PATH, GLIBC_TUNABLES, LOCPATH, NLSPATH, HOSTALIASES, TMPDIR, TZDIR, TZ, MALLOC_*, LANGUAGE, LC_*: no root process opens, runs or writes the attacker\'s files (traced)', async (mode, a) => {
  const name = suite.fresh('glibc');
  const all = hostileEnv(a);
  const env = Object.fromEntries(Object.entries(all).filter(([key]) => /^(LD_|GCONV|CHARSET|GLIBC|LOC|NLS|HOSTAL|RESOLV|RES_|TMPDIR|TZ|MALLOC|LANGUAGE|LC_)/.test(key)));
  const result = await attackRun(mode, a, [name, '--', '/bin/sh', '-c', 'echo ok'], { env, trace: true });
  worked(result, 'first use under hostile glibc variables');
  assert.is(result.stdout, 'ok\n');
  auditClean(result, 'glibc variables', ['nsenter', 'setpriv', 'ip', ...MOUNT_MAKERS.slice(0, 1)]);
  nothingGained(a, 'glibc variables');
});

suite.eachMode('NODE_OPTIONS (--require, --import), NODE_PATH, NODE_EXTRA_CA_CERTS, NODE_ICU_DATA, NODE_COMPILE_CACHE, OPENSSL_CONF: no code or file of the attacker\'s is used by Node as root (traced)', async (mode, a) => {
  const name = suite.fresh('nodeenv');
  const e = a.evil;
  const env = {
    NODE_OPTIONS: `--require=${e}/evil.cjs --import=${e}/evil.mjs`,
    NODE_PATH: `${e}/node_path`,
    NODE_EXTRA_CA_CERTS: `${e}/ca.pem`,
    NODE_ICU_DATA: `${e}/icu`,
    NODE_COMPILE_CACHE: `${e}/compile-cache`,
    OPENSSL_CONF: `${e}/openssl.cnf`,
    OPENSSL_MODULES: `${e}/lib`,
  };
  const result = await attackRun(mode, a, [name, '--', '/bin/sh', '-c', 'echo ok'], { env, trace: true });
  worked(result, 'first use under hostile Node variables');
  assert.is(result.stdout, 'ok\n');
  auditClean(result, 'Node variables', ['nsenter', 'setpriv']);
  nothingGained(a, 'Node variables');
  assert.not.ok(existsSync(`${e}/compile-cache`) && statSync(`${e}/compile-cache`).uid === 0, 'root made the compile cache');
}, ['sudo', 'setuid', 'self', 'wrapper']);

suite.eachMode('NODE_EXTRA_CA_CERTS naming a file only root can read: nothing of it, not even whether it exists, reaches the attacker', async (mode, a) => {
  const existing = await attackRun(mode, a, [SHARED, '--', '/bin/sh', '-c', 'echo ok'], { env: { NODE_EXTRA_CA_CERTS: join(a.rootOnly, 'secret.txt') } });
  const missing = await attackRun(mode, a, [SHARED, '--', '/bin/sh', '-c', 'echo ok'], { env: { NODE_EXTRA_CA_CERTS: join(a.rootOnly, 'no-such-file') } });
  noSecret(a, existing, 'a root-only file as extra CA certificates');
  worked(existing, 'the run with a root-only CA file');
  const same = (r: typeof existing) => `${r.code} ${r.stdout} ${r.stderr.replaceAll('secret.txt', 'X').replaceAll('no-such-file', 'X')}`;
  assert.is(same(existing), same(missing), 'the output tells a root-only file that exists from one that does not');
  nothingGained(a, 'NODE_EXTRA_CA_CERTS');
});

suite.eachMode('NODE_V8_COVERAGE: the attacker cannot make root create directories and files where they choose', async (mode, a) => {
  const deep = join(a.rootOnly, `cov-${mode}`, 'made', 'by', 'root');
  const result = await attackRun(mode, a, [SHARED, '--', '/bin/sh', '-c', 'echo ok'], { env: { NODE_V8_COVERAGE: deep } });
  const mine = await attackRun(mode, a, [SHARED, '--', '/bin/sh', '-c', 'echo ok'], { env: { NODE_V8_COVERAGE: join(a.home, 'coverage') } });
  worked(mine, 'the run with coverage into the attacker\'s home');
  assert.not.ok(existsSync(join(a.rootOnly, `cov-${mode}`)), `root created ${join(a.rootOnly, `cov-${mode}`)} for the attacker (${show(result)})`);
  nothingGained(a, 'NODE_V8_COVERAGE');
}, ['sudo', 'setuid', 'self', 'wrapper']);

suite.eachMode('LC_ALL naming a file of root\'s: netns-run neither shows it nor tells whether it exists', async (mode, a) => {
  const run = (locale: string, args: string[]) => attackRun(mode, a, args, { env: { LC_ALL: locale } });
  // yargs reads LOCALE.json as its message catalogue; "Options:" heads the help, "Unknown argument: %s" an error.
  const help = await run(join(a.rootOnly, 'catalogue'), ['--help']);
  const error = await run(join(a.rootOnly, 'catalogue'), ['--no-such-option', SHARED]);
  noSecret(a, help, '--help with a root-only catalogue');
  noSecret(a, error, 'an error with a root-only catalogue');
  const notJson = await run(join(a.rootOnly, 'notjson'), ['--no-such-option', SHARED]);
  const absent = await run(join(a.rootOnly, 'absent'), ['--no-such-option', SHARED]);
  const same = (r: typeof absent) => `${r.code} ${r.stdout} ${r.stderr.replaceAll('notjson', 'X').replaceAll('absent', 'X')}`;
  assert.is(same(notJson), same(absent), 'the output tells a root-only file that exists from one that does not');
  nothingGained(a, 'LC_ALL');
}, ['sudo', 'setuid', 'self', 'wrapper']);

// ---- who the caller is ---------------------------------------------------------------

suite.eachMode('forged SUDO_UID, SUDO_GID, SUDO_USER, PKEXEC_UID, USER, HOME: the target still runs as the attacker', async (mode, a) => {
  const report = 'echo "$(id -u) $(id -g) $(id -G) $HOME $USER"';
  const expected = `${a.user.uid} ${a.user.gid} ${[a.user.gid, a.user.groupGid].join(' ')} ${a.user.home} ${a.user.name}`;
  for (const forged of ['0', '1']) {
    const env = { SUDO_UID: forged, SUDO_GID: forged, SUDO_USER: forged === '0' ? 'root' : 'daemon', SUDO_COMMAND: '/bin/sh', PKEXEC_UID: forged, USER: 'root', LOGNAME: 'root', HOME: '/root' };
    const result = await attackRun(mode, a, [SHARED, '--', '/bin/sh', '-c', report], { env });
    worked(result, `forged ids ${forged}`);
    const [uid, gid, ...rest] = result.stdout.trim().split(' ');
    assert.is(uid, String(a.user.uid), `forged ${forged}: uid`);
    assert.is(gid, String(a.user.gid), `forged ${forged}: gid`);
    const groups = rest.slice(0, -2).map(Number).sort((x, y) => x - y);
    assert.equal(groups, [a.user.gid, a.user.groupGid].sort((x, y) => x - y), `forged ${forged}: groups (expected ${expected})`);
    assert.is(rest.slice(-2).join(' '), `${a.user.home} ${a.user.name}`, `forged ${forged}: HOME and USER`);
  }
  nothingGained(a, 'forged identity');
}, ['sudo', 'setuid', 'self', 'wrapper']);

suite.eachMode('--user in every spelling (root, 0, another account, even their own) is refused, and nothing is made', async (mode, a) => {
  const name = suite.fresh('user');
  const forms = [['--user', 'root'], ['--user=root'], ['-u', 'root'], ['-uroot'], ['-u0'], ['--user', '0'], ['--user', 'daemon'], ['--user', a.user.name], ['-C', '/', '--user', 'root'], ['--user', 'root', '--user', 'daemon']];
  for (const form of forms) {
    const result = await attackRun(mode, a, [...form, name, '--', 'id', '-u'], {});
    // Refused as --user or as a usage error (-uroot reads as -u -r -o -o -t): either way nothing ran.
    refused(result, form.join(' '));
  }
  nothingMade(name, '--user');
  nothingGained(a, '--user');
});

suite.eachMode('--down and --down --force of a namespace the attacker may use are refused; it stays and works', async (mode, a) => {
  const before = everythingOf(SHARED);
  for (const args of [['--down', SHARED], ['--down', SHARED, '--force'], ['--force', '--down', SHARED]]) {
    refused(await attackRun(mode, a, args), args.join(' '));
  }
  assert.equal(everythingOf(SHARED), before, 'the namespace changed');
  const after = await attackRun(mode, a, [SHARED, '--', 'id', '-u']);
  worked(after, 'using it afterwards');
  assert.is(after.stdout.trim(), String(a.user.uid));
  nothingGained(a, '--down');
});

suite.eachMode('names that are paths, options or oversized are refused before anything is made', async (mode, a) => {
  const tok = `nrttok${process.pid}${mode}`;
  const names = [`../${tok}`, `../../etc/${tok}`, `${tok}/../x`, `a/${tok}`, `${tok}\nx`, `${tok}${'a'.repeat(300)}`, `-${tok}`, `--${tok}`, `.${tok}`, '..', '.', `${tok} x`, `${tok}\u00e9`, `${tok}$(id)`, `${tok}*`, ''];
  for (const bad of names) {
    for (const args of [[bad, '--', 'id'], ['--ensure', bad]]) {
      const result = await attackRun(mode, a, args);
      refused(result, JSON.stringify(args));
    }
  }
  assert.equal(anythingMentioning(tok), [], 'something was made for a refused name');
  nothingGained(a, 'names');
});

/** Names whose paths something else already holds: refused, and what is there is left exactly as it was. */
const TAKEN: readonly { title: string; make: (name: string, scratch: string) => void; owned: (name: string) => string[] }[] = [
  {
    title: '/run/netns/NAME a non-empty file',
    make: (name) => writeFileSync(`/run/netns/${name}`, 'not a namespace\n', { mode: 0o644 }),
    owned: (name) => [`/run/netns/${name}`],
  },
  {
    title: '/run/netns/NAME a directory',
    make: (name) => mkdirSync(`/run/netns/${name}`, { mode: 0o755 }),
    owned: (name) => [`/run/netns/${name}`],
  },
  {
    title: '/run/netns-run/NAME a symlink to a directory of root\'s',
    make: (name, scratch) => symlinkSync(scratch, `/run/netns-run/${name}`),
    owned: (name) => [`/run/netns-run/${name}`],
  },
  {
    title: '/etc/netns/NAME a symlink to a directory of root\'s',
    make: (name, scratch) => symlinkSync(scratch, `/etc/netns/${name}`),
    owned: (name) => [`/etc/netns/${name}`],
  },
];

for (const { title, make, owned } of TAKEN) {
  suite.eachMode(`a name whose path is taken (${title}): refused, nothing made, nothing written through it`, async (mode, a) => {
    const name = suite.fresh('taken');
    const scratch = mkdtempSync('/var/tmp/nrt-taken-');
    try {
      writeFileSync(join(scratch, 'resolv.conf'), 'nameserver 192.0.2.1\n', { mode: 0o644 });
      mkdirSync('/etc/netns', { recursive: true, mode: 0o755 });
      make(name, scratch);
      const before = { scratch: readdirSync(scratch).sort(), things: everythingOf(name) };
      const result = await attackRun(mode, a, [name, '--', 'id', '-u']);
      refused(result, title);
      assert.equal(readdirSync(scratch).sort(), before.scratch, `${title}: something was written through it`);
      assert.equal(everythingOf(name), before.things, `${title}: something was made or removed`);
      for (const path of owned(name)) assert.ok(lstatSync(path, { throwIfNoEntry: false }) !== undefined, `${title}: ${path} was removed`);
    } finally {
      for (const path of owned(name)) rmSync(path, { recursive: true, force: true });
      removeEverything(name);
      rmSync(scratch, { recursive: true, force: true });
    }
    nothingGained(a, title);
  }, ['sudo', 'setuid']);
}

// ---- hostile environment for the helpers -------------------------------------------------

suite.eachMode('hostile variables (BASH_FUNC_x%%, BASH_ENV, ENV, SHELLOPTS+PS4, IFS, newlines, 100 kB values): the run works and no shell runs them as root', async (mode, a) => {
  const name = suite.fresh('envinj');
  const e = a.evil;
  const long = 'x'.repeat(100_000);
  const env: Record<string, string> = {
    'BASH_FUNC_mount%%': `() { /bin/sh ${e}/shellrc; }`,
    'BASH_FUNC_ip%%': `() { /bin/sh ${e}/shellrc; }`,
    'BASH_FUNC_echo%%': `() { /bin/sh ${e}/shellrc; }`,
    BASH_ENV: `${e}/shellrc`,
    ENV: `${e}/shellrc`,
    SHELLOPTS: 'xtrace',
    PS4: `$(/bin/sh ${e}/shellrc)`,
    IFS: '/ ',
    CDPATH: e,
    NRT_NEWLINES: 'line one\nline two\n=x\n',
    NRT_LONG: long,
    'NRT_ODD-NAME.x': 'odd',
    'x%%': '() { :; }',
  };
  const probe = 'printf "%s|" "$NRT_NEWLINES" "${#NRT_LONG}"; echo';
  for (const round of ['first use', 'warm']) {
    const result = await attackRun(mode, a, [name, '--', '/bin/bash', '-c', probe], { env });
    worked(result, round);
    if (mode === 'setuid' || mode === 'wrapper') {
      // The attacker's own variables reach the target exactly (only a setuid entry keeps them; sudo resets them).
      assert.ok(result.stdout.includes(`line one\nline two\n=x\n|100000|`), `${round}: the variables did not arrive intact: ${show(result)}`);
    }
  }
  nothingGained(a, 'hostile variables');
  if (mode === 'setuid' || mode === 'wrapper') {
    assert.ok(readMarkers(a).some((m) => m.what === 'shell:rc' && m.euid === a.user.uid), 'BASH_ENV never ran in the target as the attacker: the payload is not live');
  }
}, ['sudo', 'setuid', 'self', 'wrapper']);

/** Node.js honours these even setuid; a setuid start refuses them (next test), so the rest is tried without them there. */
function withoutNodeDebugging(env: Record<string, string>): Record<string, string> {
  const { NODE_DEBUG: _debug, ...rest } = env;
  return rest;
}

suite.eachMode('Node.js\'s own debugging under a setuid start (NODE_DEBUG=child_process would print root\'s helper calls): refused in one line, nothing made', async (mode, a) => {
  const name = suite.fresh('nodedebug');
  for (const variable of ['NODE_DEBUG', 'NODE_DEBUG_NATIVE', 'NODE_REDIRECT_WARNINGS']) {
    const result = await attackRun(mode, a, [name, '--', '/bin/sh', '-c', 'echo ok'], { env: { [variable]: variable === 'NODE_REDIRECT_WARNINGS' ? `${a.evil}/warnings` : 'child_process' } });
    refused(result, `${variable} under ${mode}`);
    assert.match(result.stderr, new RegExp(`^netns-run: ${variable} would make Node.js report what root does to you`), show(result));
    nothingMade(name, variable);
  }
  nothingGained(a, 'NODE_DEBUG and friends');
}, ['setuid', 'wrapper']);

suite.eachMode('everything at once on first use, traced: no privileged process touches the attacker\'s files, no root helper gets an unsafe variable', async (mode, a) => {
  const name = suite.fresh('sink');
  const env = mode === 'setuid' || mode === 'wrapper' ? withoutNodeDebugging(hostileEnv(a)) : hostileEnv(a);
  const result = await attackRun(mode, a, [name, '--', '/bin/sh', '-c', 'echo ok'], { env, trace: true });
  worked(result, 'first use under everything hostile');
  assert.ok(result.stdout.endsWith('ok\n'), show(result));
  auditClean(result, 'everything at once', ['nsenter', 'setpriv', 'ip', ...MOUNT_MAKERS]);
  nothingGained(a, 'everything at once');
}, ['sudo', 'setuid', 'self', 'wrapper']);

suite.eachMode('a forged PWD naming root\'s directory: the target starts where the attacker really is', async (mode, a) => {
  const result = await attackRun(mode, a, [SHARED, '--', '/bin/sh', '-c', 'readlink /proc/$$/cwd; cat file 2>/dev/null; true'], { env: { PWD: join(a.rootOnly, 'dir') } });
  worked(result, 'forged PWD');
  assert.is(result.stdout, `${a.work}\n`, 'the target did not start in the attacker\'s real directory');
  noSecret(a, result, 'forged PWD');
  nothingGained(a, 'forged PWD');
});

// ---- sudo and self-elevation ---------------------------------------------------------------

suite.attack('sudo takes no Node options, no variables and no other script from the attacker', async (a) => {
  const e = a.evil;
  const tries: string[][] = [
    [SUDO, '-n', NODE, `--require=${e}/evil.cjs`, BIN, SHARED, '--', 'true'],
    [SUDO, '-n', NODE, '--import', `${e}/evil.mjs`, BIN, SHARED, '--', 'true'],
    [SUDO, '-n', NODE, '-e', `require(${JSON.stringify(`${e}/evil.cjs`)})`, BIN],
    [SUDO, '-n', `NODE_OPTIONS=--require=${e}/evil.cjs`, BIN, SHARED, '--', 'true'],
    [SUDO, '-n', 'SUDO_UID=0', BIN, SHARED, '--', 'id', '-u'],
    [SUDO, '-n', 'LD_PRELOAD=' + `${e}/lib/libevil.so`, BIN, SHARED, '--', 'true'],
    [SUDO, '-n', '-E', BIN, SHARED, '--', 'true'],
    [SUDO, '-n', '--preserve-env=NODE_OPTIONS', BIN, SHARED, '--', 'true'],
    [SUDO, '-n', '-u', 'daemon', BIN, SHARED, '--', 'id', '-u'],
    [SUDO, '-n', NODE, `${BIN} ${SHARED}`, '--', 'id', '-u'],
    [SUDO, '-n', NODE, `${e}/evil.cjs`],
    [SUDO, '-n', NODE, `${BIN}/../../../${e}/evil.cjs`],
  ];
  for (const words of tries) {
    const result = await runAs(a, words, { env: { NODE_OPTIONS: `--require=${e}/evil.cjs` } });
    assert.ok(result.code !== 0, `sudo ran ${JSON.stringify(words)}: ${show(result)}`);
    assert.not.match(result.stdout, /^0$/m, `${JSON.stringify(words)}: something printed uid 0`);
  }
  // Only the attacker's own node (for the sudo -n NODE ... words it never got to run) may have left marks; none as root.
  nothingGained(a, 'sudo command line');
});

suite.attack('self-elevation from a script of the attacker\'s own, or through a symlink they flip, never runs their code as root', async (a) => {
  const mode: Mode = 'self';
  enterMode(mode, a);
  let flip: Promise<unknown> | undefined;
  const stop = () => plant(a, join(a.evil, 'stop'), '');
  try {
    // A script that imports netns-run and elevates itself: sudo must refuse its path.
    const script = join(a.evil, 'netns-run');
    plant(a, script, `#!${NODE}\nrequire('fs').appendFileSync(${JSON.stringify(join(a.markers, 'node.log'))}, process.geteuid() + ' ' + process.getuid() + ' node:own-script\\n');\nimport(${JSON.stringify(join(BIN, '..', '..', 'dist', 'src', 'entry.js'))});\n`, 0o755);
    plant(a, join(a.evil, 'package.json'), '{"type":"commonjs"}');
    const own = await runAs(a, [NODE, script, SHARED, '--', 'id', '-u']);
    refused(own, 'self-elevation of the attacker\'s script');
    // A symlink named like netns-run, pointing at BIN, and then flipped to the attacker's script.
    const linkDir = join(a.evil, 'link');
    plantDir(a, linkDir);
    const link = join(linkDir, 'netns-run');
    symlinkSync(BIN, link);
    spawnSync('chown', ['-h', `${a.user.uid}:${a.user.gid}`, link]);
    const viaLink = await runAs(a, [NODE, link, SHARED, '--', 'id', '-u']);
    if (viaLink.code === 0) assert.is(viaLink.stdout.trim(), String(a.user.uid), 'through the symlink, the target is not the attacker');
    else refused(viaLink, 'self-elevation through a symlink');
    flip = runAs(a, ['/bin/sh', '-c', `end=$(($(date +%s) + 20)); while [ ! -e ${a.evil}/stop ] && [ $(date +%s) -lt $end ]; do ln -sfn ${script} ${link}.new && mv -T ${link}.new ${link}; ln -sfn ${BIN} ${link}.new && mv -T ${link}.new ${link}; done`]);
    for (let i = 0; i < 8; i += 1) {
      const raced = await runAs(a, [NODE, link, SHARED, '--', 'id', '-u']);
      if (raced.code === 0) assert.is(raced.stdout.trim(), String(a.user.uid), `race ${i}: the target is not the attacker`);
    }
    stop();
    await flip;
    const own0 = readMarkers(a).filter((m) => m.what === 'node:own-script');
    assert.ok(own0.length > 0, 'the attacker\'s script never ran at all: the race tested nothing');
    nothingGained(a, 'self-elevation');
  } finally {
    stop();
    await flip;
    leaveMode(mode);
  }
});

test.run();
