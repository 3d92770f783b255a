// The adversarial suite, part 2: what the attacker may use, and what they
// can make netns-run read or enter for them. The policy's rules (its file is
// tampered with only inside a private mount namespace with a throwaway /etc,
// so that other tests on this machine keep their policy), the
// administrator's files in /etc/netns/NAME, and directories and commands the
// attacker names but may not reach. See attacks.test.ts for the setting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { attackRun, attackSuite, enterMode, leaveMode, plant, readMarkers, runAs, suspendGrant, SUDO, type Attacker, type Mode, makeShared, plantRootOnlyScript,
} from '../support/attack.js';
import { noSecret, noShadow, nothingGained, nothingMade, refused, show, worked } from '../support/attack-checks.js';
import { everythingOf, mountsMentioning, removeEverything } from '../support/kernel.js';
import { skipReason, uniqueName, type Result } from '../support/netns-run.js';
import { grant } from '../support/policy.js';
import { describe, sandbox } from '../support/sandbox.js';


let SHARED = '';
/** A root-only 0700 script in a directory everyone may search (the setuid copy's 0711 directory). */
let REACHABLE_ROOT_SCRIPT = '';

const suite = attackSuite('policy.test', test, {
  uniqueName,
  skipReason,
  remove: removeEverything,
  async setup(a) {
    SHARED = suite.fresh('pol');
    await makeShared(SHARED);
    REACHABLE_ROOT_SCRIPT = plantRootOnlyScript(a);
  },
});

const ID = ['--', 'id', '-u'];

/** The policy's refusal: one line naming the attacker and what they may not do. */
function policyRefusal(result: Result, a: Attacker, what: string, action: 'use' | 'make'): void {
  refused(result, what);
  assert.match(result.stderr, new RegExp(`${a.user.name} may not ${action}`), `${what}: not the policy's refusal`);
}

// ---- rules ---------------------------------------------------------------------------

suite.eachMode('no rule for the attacker: they may neither make nor use a namespace', async (mode, a) => {
  const fresh = suite.fresh('norule');
  const restore = suspendGrant(a);
  try {
    policyRefusal(await attackRun(mode, a, [fresh, ...ID]), a, 'a new namespace', 'use');
    policyRefusal(await attackRun(mode, a, [SHARED, ...ID]), a, 'an existing namespace', 'use');
    policyRefusal(await attackRun(mode, a, ['--ensure', fresh]), a, '--ensure', 'use');
    nothingMade(fresh, 'no rule');
  } finally {
    restore();
  }
  nothingGained(a, 'no rule');
});

suite.eachMode('a rule for namespace A only: B is refused and not made, A works', async (mode, a) => {
  const allowed = suite.fresh('ruleA');
  const other = suite.fresh('ruleB');
  const restore = suspendGrant(a);
  const revoke = grant(`allow ${a.user.name} ${allowed} create`);
  try {
    policyRefusal(await attackRun(mode, a, [other, ...ID]), a, 'B', 'use');
    policyRefusal(await attackRun(mode, a, [SHARED, ...ID]), a, 'an existing namespace not named', 'use');
    nothingMade(other, 'B');
    const result = await attackRun(mode, a, [allowed, ...ID]);
    worked(result, 'A');
    assert.is(result.stdout.trim(), String(a.user.uid));
  } finally {
    revoke();
    restore();
  }
  nothingGained(a, 'rule for A');
}, ['sudo', 'setuid']);

suite.eachMode('use without create: a missing namespace is refused and not made, an existing one works', async (mode, a) => {
  const missing = suite.fresh('nocreate');
  const restore = suspendGrant(a);
  const revoke = grant(`allow ${a.user.name} ${missing},${SHARED}`);
  try {
    policyRefusal(await attackRun(mode, a, [missing, ...ID]), a, 'a missing namespace', 'make');
    policyRefusal(await attackRun(mode, a, ['--ensure', missing]), a, '--ensure of a missing namespace', 'make');
    nothingMade(missing, 'use without create');
    const result = await attackRun(mode, a, [SHARED, ...ID]);
    worked(result, 'the existing namespace');
    assert.is(result.stdout.trim(), String(a.user.uid));
  } finally {
    revoke();
    restore();
  }
  nothingGained(a, 'use without create');
}, ['sudo', 'setuid']);

suite.eachMode('rules that only look like the attacker\'s (a longer or shorter name, their uid as a name, other case, root\'s group, a group of a similar name) grant nothing; their own group does', async (mode, a) => {
  const fresh = suite.fresh('lookalike');
  const restore = suspendGrant(a);
  const name = a.user.name;
  const lookalikes = [`allow ${name}x * create`, `allow ${name.slice(0, -1)} * create`, `allow ${a.user.uid} * create`, `allow ${name.toUpperCase()} * create`,
    'allow %root * create', `allow %${a.user.group}x * create`, `allow %${a.user.group.slice(0, -1)} * create`];
  try {
    for (const line of lookalikes) {
      const revoke = grant(line);
      try {
        policyRefusal(await attackRun(mode, a, [fresh, ...ID]), a, `"${line}", a new namespace`, 'use');
        policyRefusal(await attackRun(mode, a, [SHARED, ...ID]), a, `"${line}", an existing namespace`, 'use');
      } finally {
        revoke();
      }
    }
    nothingMade(fresh, 'look-alike rules');
    // Control: a rule for the attacker's real supplementary group does let them in, so the refusals above were the rules'.
    const revoke = grant(`allow %${a.user.group} ${SHARED}`);
    try {
      const result = await attackRun(mode, a, [SHARED, ...ID]);
      worked(result, 'their own group');
      assert.is(result.stdout.trim(), String(a.user.uid));
    } finally {
      revoke();
    }
  } finally {
    restore();
  }
  nothingGained(a, 'look-alike rules');
}, ['sudo', 'setuid']);

// ---- the policy file itself (in a private mount namespace with a throwaway /etc) ----------------

/** Runs netns-run as the attacker through sudo and the setuid copy, and as root, after PREPARE changed the sandbox's policy. */
async function tamperedPolicy(a: Attacker, prepare: string, extra = ''): Promise<Record<string, string>> {
  const fresh = suite.fresh('tamper');
  const asUser = `runuser -u "$U" -- /usr/bin/env -i PATH=/usr/bin:/bin HOME="$H"`;
  const result = await sandbox(
    `${prepare}
section sudo; ${asUser} sudo -n "$BIN" "$NAME" -- id -u 2>&1; echo "rc=$?"
section setuid; ${asUser} "$SUIDNODE" "$BIN" "$NAME" -- id -u 2>&1; echo "rc=$?"
section ensure; ${asUser} "$SUIDNODE" "$BIN" --ensure "$FRESH" 2>&1; echo "rc=$?"
section etcnetns; ls -A /etc/netns | grep -c -F "$FRESH"
section root; PATH="$NODE_DIR:$PATH" "$BIN" "$NAME" -- id -u 2>&1; echo "rc=$?"
${extra}`,
    { overlay: ['/etc'], env: { U: a.user.name, H: a.user.home, SUIDNODE: a.suidNode, NAME: SHARED, FRESH: fresh, SUDO } },
  );
  assert.ok(result.sections.root !== undefined, `the sandbox failed: ${describe(result)}`);
  assert.equal(everythingOf(fresh), [], `something was made for ${fresh}`);
  assert.is(result.sections.etcnetns, '0\n', `/etc/netns/${fresh} was made`);
  return result.sections;
}

/** A section of the sandbox: netns-run refused with one line and its status, and ran nothing. */
function sectionRefused(section: string | undefined, what: string, pattern: RegExp): void {
  assert.ok(section !== undefined, `${what}: no output`);
  const lines = section!.trimEnd().split('\n');
  assert.is(lines.length, 2, `${what}: expected one line and the status, got ${JSON.stringify(section)}`);
  assert.match(lines[0]!, /^netns-run: /, `${what}: ${JSON.stringify(section)}`);
  assert.match(lines[0]!, pattern, `${what}: ${JSON.stringify(section)}`);
  assert.is(lines[1], 'rc=125', `${what}: ${JSON.stringify(section)}`);
}

function rootWorks(sections: Record<string, string>, what: string): void {
  assert.is(sections.root, '0\nrc=0\n', `${what}: root could not use netns-run: ${JSON.stringify(sections.root)}`);
}

const GRANT_ALL = 'printf "allow %s * create\\n" "$U"';

const TAMPERING: readonly { title: string; prepare: string; refusal: RegExp }[] = [
  { title: 'owned by the attacker (and granting them everything)', prepare: `${GRANT_ALL} > /etc/netns-run.conf; chown "$U" /etc/netns-run.conf; chmod 644 /etc/netns-run.conf`, refusal: /owned by root/ },
  { title: 'writable by its group', prepare: `${GRANT_ALL} > /etc/netns-run.conf; chmod 664 /etc/netns-run.conf`, refusal: /owned by root/ },
  { title: 'writable by everyone, and written by the attacker', prepare: `: > /etc/netns-run.conf; chmod 666 /etc/netns-run.conf; runuser -u "$U" -- sh -c '${GRANT_ALL} >> /etc/netns-run.conf'`, refusal: /owned by root/ },
  { title: 'a symlink to a file of the attacker\'s', prepare: `${GRANT_ALL} > "$H/evil/policy"; chown "$U" "$H/evil/policy"; rm -f /etc/netns-run.conf; ln -s "$H/evil/policy" /etc/netns-run.conf`, refusal: /symbolic link/ },
  { title: 'a symlink to a root-owned file', prepare: `${GRANT_ALL} > /etc/netns-run.real; chmod 644 /etc/netns-run.real; rm -f /etc/netns-run.conf; ln -s /etc/netns-run.real /etc/netns-run.conf`, refusal: /symbolic link/ },
  { title: 'a malformed line after a rule that grants everything', prepare: `{ ${GRANT_ALL}; echo 'allow everyone'; } > /etc/netns-run.conf; chmod 644 /etc/netns-run.conf`, refusal: /line 2/ },
  { title: 'an unknown word', prepare: `{ ${GRANT_ALL}; echo 'permit ALL * create'; } > /etc/netns-run.conf; chmod 644 /etc/netns-run.conf`, refusal: /line 2/ },
  { title: 'a directory', prepare: 'rm -f /etc/netns-run.conf; mkdir /etc/netns-run.conf', refusal: /owned by root|not a regular file/ },
];

for (const { title, prepare, refusal } of TAMPERING) {
  suite.attack(`the policy file ${title}: refused for the attacker (sudo and setuid), root still works`, async (a) => {
    const sections = await tamperedPolicy(a, prepare);
    sectionRefused(sections.sudo, 'through sudo', refusal);
    sectionRefused(sections.setuid, 'through the setuid copy', refusal);
    sectionRefused(sections.ensure, '--ensure', refusal);
    rootWorks(sections, title);
    nothingGained(a, `policy ${title}`);
  });
}

suite.attack('the policy file in a directory others may write (/etc made world-writable): refused for the attacker, root still works', async (a) => {
  const sections = await tamperedPolicy(a, `${GRANT_ALL} > /etc/netns-run.conf; chmod 644 /etc/netns-run.conf; chmod o+w /etc`);
  // sudo itself may refuse to run with a world-writable /etc: either way the attacker gains nothing.
  if (!/^sudo: /m.test(sections.sudo ?? '')) sectionRefused(sections.sudo, 'through sudo', /owned by root/);
  sectionRefused(sections.setuid, 'through the setuid copy', /owned by root/);
  rootWorks(sections, '/etc world-writable');
  nothingGained(a, 'policy directory');
});

suite.attack('"elevate none" and "elevate pkexec" in the policy: self-elevation is refused with one line, and sudo is never asked', async (a) => {
  enterMode('self', a);
  try {
    for (const method of ['none', 'pkexec']) {
      const asUser = `runuser -u "$U" -- /usr/bin/env -i PATH=/usr/bin:/bin HOME="$H"`;
      const result = await sandbox(
        `{ ${GRANT_ALL}; echo 'elevate ${method}'; } > /etc/netns-run.conf; chmod 644 /etc/netns-run.conf
section self; ${asUser} "$BIN" "$NAME" -- id -u 2>&1; echo "rc=$?"
section sudo; ${asUser} sudo -n "$BIN" "$NAME" -- id -u 2>&1; echo "rc=$?"`,
        { overlay: ['/etc'], env: { U: a.user.name, H: a.user.home, NAME: SHARED } },
      );
      if (method === 'pkexec' && /rc=0/.test(result.sections.self ?? '')) {
        // pkexec exists here and let the attacker through: the target must still be theirs.
        assert.is(result.sections.self, `${a.user.uid}\nrc=0\n`, `elevate pkexec: ${describe(result)}`);
      } else {
        // Whatever pkexec itself says (no polkit daemon, no agent, a refusal; its own status 127 or 126),
        // the user reads netns-run's one line naming pkexec, and 125.
        sectionRefused(result.sections.self, `elevate ${method}`, method === 'none' ? /self-elevation is off/ : /pkexec/);
        assert.not.match(result.sections.self ?? '', /^netns-run: netns-run/, `elevate ${method}: the prefix twice`);
      }
      // The method only decides how netns-run elevates itself; a user sudo lets in directly still runs as themselves.
      assert.is(result.sections.sudo, `${a.user.uid}\nrc=0\n`, `elevate ${method}, through sudo: ${describe(result)}`);
    }
  } finally {
    leaveMode('self');
  }
  nothingGained(a, 'elevate');
});

// ---- /etc/netns/NAME --------------------------------------------------------------------------

interface Tamper {
  readonly title: string;
  /** Root's misconfiguration, or the attacker's doing where they own something. */
  readonly prepare: (a: Attacker, dir: string) => void;
}

function rootFile(path: string, content: string, mode: number): void {
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
}

function rootDir(dir: string, mode = 0o755): void {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
}

const NSSWITCH = 'hosts: files dns\n';
const RESOLV = 'nameserver 192.0.2.53\n';

const TAMPERS: readonly Tamper[] = [
  {
    title: 'directory owned by the attacker, resolv.conf their symlink to /etc/shadow',
    prepare: (a, dir) => {
      rootDir(dir);
      chownSync(dir, a.user.uid, a.user.gid);
      symlinkSync('/etc/shadow', join(dir, 'resolv.conf'));
      spawnSync('chown', ['-h', `${a.user.uid}:${a.user.gid}`, join(dir, 'resolv.conf')]);
      plant(a, join(dir, 'nsswitch.conf'), NSSWITCH);
    },
  },
  {
    title: 'directory owned by the attacker, with plain files of theirs',
    prepare: (a, dir) => {
      rootDir(dir);
      chownSync(dir, a.user.uid, a.user.gid);
      plant(a, join(dir, 'resolv.conf'), RESOLV);
      plant(a, join(dir, 'nsswitch.conf'), NSSWITCH);
    },
  },
  {
    title: 'directory writable by everyone, resolv.conf planted by the attacker',
    prepare: (a, dir) => {
      rootDir(dir, 0o777);
      plant(a, join(dir, 'resolv.conf'), RESOLV);
      rootFile(join(dir, 'nsswitch.conf'), NSSWITCH, 0o644);
    },
  },
  // Root's own files in a directory others can change: they could swap them, so the directory alone must refuse.
  {
    title: 'directory owned by the attacker, holding root\'s own 0644 files',
    prepare: (a, dir) => {
      rootDir(dir);
      rootFile(join(dir, 'resolv.conf'), RESOLV, 0o644);
      rootFile(join(dir, 'nsswitch.conf'), NSSWITCH, 0o644);
      chownSync(dir, a.user.uid, a.user.gid);
    },
  },
  {
    title: 'directory writable by its group, holding root\'s own 0644 files',
    prepare: (_a, dir) => {
      rootDir(dir, 0o775);
      rootFile(join(dir, 'resolv.conf'), RESOLV, 0o644);
      rootFile(join(dir, 'nsswitch.conf'), NSSWITCH, 0o644);
    },
  },
  {
    title: 'resolv.conf owned by the attacker in root\'s directory',
    prepare: (a, dir) => {
      rootDir(dir);
      plant(a, join(dir, 'resolv.conf'), RESOLV);
      rootFile(join(dir, 'nsswitch.conf'), NSSWITCH, 0o644);
    },
  },
  {
    title: 'resolv.conf writable by everyone',
    prepare: (_a, dir) => {
      rootDir(dir);
      rootFile(join(dir, 'resolv.conf'), RESOLV, 0o666);
      rootFile(join(dir, 'nsswitch.conf'), NSSWITCH, 0o644);
    },
  },
  {
    title: 'resolv.conf a symlink to /etc/shadow (made by root)',
    prepare: (_a, dir) => {
      rootDir(dir);
      symlinkSync('/etc/shadow', join(dir, 'resolv.conf'));
      rootFile(join(dir, 'nsswitch.conf'), NSSWITCH, 0o644);
    },
  },
  {
    // Every other check would pass on what it leads to: only "a real file, no symlink" refuses it.
    title: 'resolv.conf a symlink to a root-owned file everyone may read (/etc/hosts, made by root)',
    prepare: (_a, dir) => {
      rootDir(dir);
      symlinkSync('/etc/hosts', join(dir, 'resolv.conf'));
      rootFile(join(dir, 'nsswitch.conf'), NSSWITCH, 0o644);
    },
  },
  {
    title: 'resolv.conf a hard link to /etc/shadow (made by root)',
    prepare: (_a, dir) => {
      rootDir(dir);
      linkSync('/etc/shadow', join(dir, 'resolv.conf'));
      rootFile(join(dir, 'nsswitch.conf'), NSSWITCH, 0o644);
    },
  },
  {
    title: 'resolv.conf readable by root only, holding a secret',
    prepare: (a, dir) => {
      rootDir(dir);
      rootFile(join(dir, 'resolv.conf'), `# ${a.secret}\n${RESOLV}`, 0o600);
      rootFile(join(dir, 'nsswitch.conf'), NSSWITCH, 0o644);
    },
  },
  {
    title: 'resolv.conf a FIFO (no hang)',
    prepare: (_a, dir) => {
      rootDir(dir);
      spawnSync('mkfifo', ['-m', '644', join(dir, 'resolv.conf')]);
      rootFile(join(dir, 'nsswitch.conf'), NSSWITCH, 0o644);
    },
  },
  {
    title: 'nsswitch.conf a symlink to /etc/shadow (made by root)',
    prepare: (_a, dir) => {
      rootDir(dir);
      rootFile(join(dir, 'resolv.conf'), RESOLV, 0o644);
      symlinkSync('/etc/shadow', join(dir, 'nsswitch.conf'));
    },
  },
];

for (const { title, prepare } of TAMPERS) {
  suite.eachMode(`/etc/netns/NAME ${title}: refused, nothing made, nothing of it shown`, async (mode, a) => {
    const name = suite.fresh('etc');
    const dir = `/etc/netns/${name}`;
    try {
      prepare(a, dir);
      const result = await attackRun(mode, a, [name, '--', '/bin/sh', '-c', 'cat /etc/resolv.conf /etc/nsswitch.conf'], { timeoutMs: 30_000 });
      refused(result, title);
      assert.match(result.stderr, new RegExp(`/etc/netns/${name}`), `${title}: the refusal does not name the file`);
      noShadow([result.stdout, result.stderr], title);
      noSecret(a, result, title);
      assert.not.ok(existsSync(`/run/netns/${name}`), `${title}: the network namespace was made`);
      assert.not.ok(existsSync(`/run/netns-run/${name}`), `${title}: the state directory was made`);
      assert.equal(mountsMentioning(name), [], `${title}: mounts were left`);
    } finally {
      removeEverything(name);
    }
    nothingGained(a, title);
  }, ['sudo', 'setuid']);
}

suite.eachMode('/etc/netns/NAME handed to the attacker after first use: swapping resolv.conf for /etc/shadow is refused on the next call, and the copy inside never holds it', async (mode, a) => {
  const name = suite.fresh('etcswap');
  const dir = `/etc/netns/${name}`;
  try {
    const first = await attackRun(mode, a, [name, '--', 'cat', '/etc/resolv.conf']);
    worked(first, 'first use');
    chownSync(dir, a.user.uid, a.user.gid);
    // The attacker, who now owns the directory, swaps the file.
    worked(await runAs(a, ['/bin/sh', '-c', `ln -s /etc/shadow ${dir}/resolv.conf.new && mv -T ${dir}/resolv.conf.new ${dir}/resolv.conf`]), 'the swap');
    const again = await attackRun(mode, a, [name, '--', 'cat', '/etc/resolv.conf']);
    refused(again, 'after the swap');
    noShadow([again.stdout, again.stderr, readFileSync(`/run/netns-run/${name}/resolv.conf`, 'utf8')], 'after the swap');
  } finally {
    removeEverything(name);
  }
  nothingGained(a, 'resolv.conf swap');
}, ['sudo', 'setuid']);

suite.eachMode('--status and --list show nothing the attacker could not read themselves: a root-only resolv.conf, or their symlink to a root-only file', async (mode, a) => {
  const hidden = suite.fresh('status');
  const linked = suite.fresh('statlink');
  const dir = (name: string) => `/etc/netns/${name}`;
  try {
    // Root's own, readable by root only (netns-run would refuse to use it, but it is there).
    rootDir(dir(hidden));
    rootFile(join(dir(hidden), 'resolv.conf'), `nameserver ${a.secret}\n`, 0o600);
    rootFile(join(dir(hidden), 'nsswitch.conf'), NSSWITCH, 0o644);
    // A directory handed to the attacker, who points resolv.conf at a file of root's.
    rootFile(join(a.rootOnly, 'ns.conf'), `nameserver ${a.secret}\n`, 0o600);
    rootDir(dir(linked));
    chownSync(dir(linked), a.user.uid, a.user.gid);
    symlinkSync(join(a.rootOnly, 'ns.conf'), join(dir(linked), 'resolv.conf'));
    spawnSync('chown', ['-h', `${a.user.uid}:${a.user.gid}`, join(dir(linked), 'resolv.conf')]);
    for (const name of [hidden, linked]) spawnSync('ip', ['netns', 'add', name]);
    const leaks: string[] = [];
    for (const args of [['--status', hidden], ['--status', hidden, '--json'], ['--status', linked], ['--status', linked, '--json'], ['--list'], ['--list', '--json']]) {
      const result = await attackRun(mode, a, args);
      assert.ok(result.code === 0 || result.code === 1, `${args.join(' ')}: ${show(result)}`);
      if (`${result.stdout}${result.stderr}`.includes(a.secret)) leaks.push(`${args.join(' ').replaceAll(hidden, 'ROOT-ONLY').replaceAll(linked, 'SYMLINKED')}`);
    }
    assert.equal(leaks, [], `root's secret (a nameserver line in a file only root may read) is in the output of: ${leaks.join('; ')}`);
  } finally {
    removeEverything(hidden);
    removeEverything(linked);
  }
  nothingGained(a, 'reports');
}, ['sudo', 'setuid', 'self', 'wrapper']);

// ---- directories and commands the attacker may not reach ------------------------------------

suite.eachMode('directories of root\'s: as the current directory, through --chdir, through their own symlink, /root, a file: refused, nothing runs', async (mode, a) => {
  const link = join(a.evil, 'to-root-dir');
  rmSync(link, { force: true });
  symlinkSync(join(a.rootOnly, 'dir'), link);
  spawnSync('chown', ['-h', `${a.user.uid}:${a.user.gid}`, link]);
  const target = ['--', '/bin/sh', '-c', 'echo ran; cat file'];
  const tries: [string, string[], { cwd?: string }][] = [
    ['the current directory', [SHARED, ...target], { cwd: join(a.rootOnly, 'dir') }],
    ['--chdir', ['--chdir', join(a.rootOnly, 'dir'), SHARED, ...target], {}],
    ['--chdir through their symlink', ['--chdir', link, SHARED, ...target], {}],
    ['-C relative through their symlink', ['-C', '../evil/to-root-dir', SHARED, ...target], {}],
    ['--chdir /root', ['--chdir', '/root', SHARED, ...target], {}],
    ['--chdir a file', ['--chdir', '/etc/shadow', SHARED, ...target], {}],
  ];
  for (const [what, args, options] of tries) {
    const result = await attackRun(mode, a, args, options);
    refused(result, what);
    noSecret(a, result, what);
  }
  nothingGained(a, 'directories');
}, ['sudo', 'setuid']);

suite.eachMode('commands the attacker may not execute: in root\'s directory, through their symlink, a 0700 root script they can see, via PATH, /etc/shadow, a directory: refused, never run', async (mode, a) => {
  const link = join(a.evil, 'to-root-script');
  rmSync(link, { force: true });
  symlinkSync(REACHABLE_ROOT_SCRIPT, link);
  spawnSync('chown', ['-h', `${a.user.uid}:${a.user.gid}`, link]);
  // Each with its own status: 126 "cannot execute", 127 "not found"; swapping them is a bug.
  const tries: [string, string[], Record<string, string>, 126 | 127][] = [
    ['a script in root\'s directory', [join(a.rootOnly, 'dir', 'root-only.sh')], {}, 126],
    ['a 0700 root script the attacker can see', [REACHABLE_ROOT_SCRIPT], {}, 126],
    ['their symlink to it', [link], {}, 126],
    // Through sudo, sudo's secure_path replaced the attacker's PATH: not found there (127); the setuid copy searches it: 126.
    ['found through PATH', ['root-only.sh'], { PATH: `${join(REACHABLE_ROOT_SCRIPT, '..')}:${join(a.rootOnly, 'dir')}:/usr/bin:/bin` }, mode === 'sudo' ? 127 : 126],
    ['/etc/shadow', ['/etc/shadow'], {}, 126],
    ['a directory', ['/root'], {}, 126],
    // Beside the refusals, a name found nowhere: 127, so that the two cannot be swapped unnoticed.
    ['a name found nowhere', ['nrs-no-such-command'], { PATH: '/usr/bin:/bin' }, 127],
  ];
  for (const [what, command, env, status] of tries) {
    const result = await attackRun(mode, a, [SHARED, '--', ...command], { env });
    refused(result, what, status);
    noSecret(a, result, what);
  }
  assert.equal(readMarkers(a).filter((m) => m.what.startsWith('ran:')), [], 'a root-only script ran');
  nothingGained(a, 'commands');
}, ['sudo', 'setuid']);

// Attackers reach the same checks through self-elevation (sudo underneath); one representative run.
suite.eachMode('through self-elevation too: root\'s directory and root\'s script are refused', async (mode, a) => {
  refused(await attackRun(mode, a, ['--chdir', join(a.rootOnly, 'dir'), SHARED, '--', 'true']), '--chdir');
  const result = await attackRun(mode, a, [SHARED, '--', REACHABLE_ROOT_SCRIPT]);
  refused(result, 'a root-only script', 126);
  assert.equal(readMarkers(a).filter((m) => m.what.startsWith('ran:')), [], 'a root-only script ran');
  nothingGained(a, 'self-elevation checks');
}, ['self'] as readonly Mode[]);

test.run();
