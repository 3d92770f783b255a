// /etc/netns-run.conf: the grammar parsePolicy() accepts and everything it
// refuses, the decisions may() makes from a policy, the ownership rule
// (trustedByRoot) and the refusal a caller reads. Pure functions, so no root
// is needed; the few loadPolicy() tests that need a file owned by root skip
// themselves, saying so, when not run as root. memberOf() asks the real
// getent(1) for the group root, which every system has, and a stand-in
// getent in a temporary directory records which questions are asked.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Caller } from '../../src/caller.js';
import { NetnsRunError } from '../../src/errors.js';
import { NAME_PATTERN } from '../../src/name.js';
import {
  CreateRefused, EMPTY_POLICY, POLICY_FILE, loadPolicy, may, memberOf, parsePolicy, refusal, type Member, type Policy, type Rule,
} from '../../src/policy.js';

const isRoot = process.geteuid?.() === 0;

/** A caller other than root, in the groups given by name. */
function member(user: string, groups: readonly string[] = [], uid = 1000): Member {
  return { user, uid, inGroup: (group) => groups.includes(group) };
}

const scratch = mkdtempSync(join(tmpdir(), 'nrt-policy-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

const ROOT_MEMBER = member('root', [], 0);
const ALICE = member('alice');

function caller(user: string, uid: number, gid: number, groups: readonly number[]): Caller {
  return { elevation: 'sudo', uid, gid, groups, user, home: `/home/${user}`, shell: '/bin/sh' };
}

/** parsePolicy must refuse TEXT; returns the error after the checks every refusal shares. */
function refused(text: string, file?: string): NetnsRunError {
  let policy: Policy | undefined;
  try {
    policy = file === undefined ? parsePolicy(text) : parsePolicy(text, file);
  } catch (error) {
    assert.instance(error, NetnsRunError, `${JSON.stringify(text)} threw ${String(error)}`);
    const failure = error as NetnsRunError;
    assert.is(failure.status, 125, `${JSON.stringify(text)}: status`);
    assert.not.match(failure.message, /[\r\n]/, `${JSON.stringify(text)}: the message is more than one line`);
    return failure;
  }
  assert.unreachable(`accepted ${JSON.stringify(text)} as ${JSON.stringify(policy)}`);
  throw new Error('unreachable');
}

/** The one line of TEXT that is wrong, placed at line 5 behind valid lines, a comment and a blank line. */
function refusedAtLine5(bad: string): NetnsRunError {
  const text = ['allow alice wg', '# a comment', '', 'elevate sudo', bad, 'allow %netns vpn create'].join('\n');
  const failure = refused(text);
  assert.ok(failure.message.startsWith(`${POLICY_FILE} line 5: `), `${JSON.stringify(bad)}: ${failure.message}`);
  return failure;
}

function rulesOf(text: string): Omit<Rule, 'line'>[] {
  return parsePolicy(text).rules.map(({ who, namespaces, create }) => ({ who, namespaces, create }));
}

// ---- the grammar -----------------------------------------------------------

test('the policy file is /etc/netns-run.conf', () => {
  assert.is(POLICY_FILE, '/etc/netns-run.conf');
});

test('allow USER, %GROUP and ALL, each with one name, a list or *', () => {
  assert.equal(rulesOf('allow alice wg\nallow %netns wg,vpn0,my_ns.2\nallow ALL *\n'), [
    { who: { kind: 'user', name: 'alice' }, namespaces: ['wg'], create: false },
    { who: { kind: 'group', name: 'netns' }, namespaces: ['wg', 'vpn0', 'my_ns.2'], create: false },
    { who: { kind: 'all' }, namespaces: '*', create: false },
  ]);
});

test("a trailing 'create' sets create, for every kind of WHO", () => {
  assert.equal(rulesOf('allow bob wg create\nallow %netns * create\nallow ALL vpn,wg create'), [
    { who: { kind: 'user', name: 'bob' }, namespaces: ['wg'], create: true },
    { who: { kind: 'group', name: 'netns' }, namespaces: '*', create: true },
    { who: { kind: 'all' }, namespaces: ['vpn', 'wg'], create: true },
  ]);
});

test('each rule records its line number, counting comments and blank lines', () => {
  const policy = parsePolicy('# who may use what\n\nallow alice wg\n   \n\t# indented comment\nallow %netns *\n');
  assert.equal(policy.rules.map((rule) => rule.line), [3, 6]);
});

test("user and group words: digits, '_', '.', '-' inside and a final '$' (machine accounts) are accepted", () => {
  assert.equal(rulesOf('allow john.doe-2 wg\nallow _svc wg\nallow 1000 wg\nallow host1$ wg\nallow %domain_users wg\nallow %ops-team.eu wg'), [
    { who: { kind: 'user', name: 'john.doe-2' }, namespaces: ['wg'], create: false },
    { who: { kind: 'user', name: '_svc' }, namespaces: ['wg'], create: false },
    { who: { kind: 'user', name: '1000' }, namespaces: ['wg'], create: false },
    { who: { kind: 'user', name: 'host1$' }, namespaces: ['wg'], create: false },
    { who: { kind: 'group', name: 'domain_users' }, namespaces: ['wg'], create: false },
    { who: { kind: 'group', name: 'ops-team.eu' }, namespaces: ['wg'], create: false },
  ]);
});

test('elevate sudo, pkexec and none; sudo when the file says nothing', () => {
  assert.is(parsePolicy('elevate sudo').elevate, 'sudo');
  assert.is(parsePolicy('elevate pkexec').elevate, 'pkexec');
  assert.is(parsePolicy('elevate none\nallow alice wg').elevate, 'none');
  assert.is(parsePolicy('allow alice wg').elevate, 'sudo');
  assert.is(parsePolicy('').elevate, 'sudo');
});

test('an elevate line is no rule and a rule line changes no elevate', () => {
  const policy = parsePolicy('elevate pkexec\nallow alice wg\n');
  assert.is(policy.rules.length, 1);
  assert.is(policy.elevate, 'pkexec');
});

test('an empty file, or one of comments and blank lines only, grants nothing', () => {
  for (const text of ['', '\n\n', '# nothing yet\n', '   \n\t\n# allow alice wg\n', '#allow ALL * create']) {
    const policy = parsePolicy(text);
    assert.equal(policy.rules, [], JSON.stringify(text));
    assert.is(policy.elevate, 'sudo', JSON.stringify(text));
  }
});

test("'#' starts a comment anywhere on a line, also glued to a word", () => {
  assert.equal(rulesOf('allow alice wg # only wg\nallow bob vpn#no space\nallow carol * create# and make them\nelevate none # off'), [
    { who: { kind: 'user', name: 'alice' }, namespaces: ['wg'], create: false },
    { who: { kind: 'user', name: 'bob' }, namespaces: ['vpn'], create: false },
    { who: { kind: 'user', name: 'carol' }, namespaces: '*', create: true },
  ]);
  assert.is(parsePolicy('elevate none # off').elevate, 'none');
});

test('whitespace: leading, trailing, tabs, runs of blanks and CRLF line ends', () => {
  const text = '  allow\talice   wg \r\n\tallow  %netns\t\tvpn,wg\tcreate\r\n\r\n elevate \t pkexec \r\n';
  const policy = parsePolicy(text);
  assert.equal(rulesOf(text), [
    { who: { kind: 'user', name: 'alice' }, namespaces: ['wg'], create: false },
    { who: { kind: 'group', name: 'netns' }, namespaces: ['vpn', 'wg'], create: true },
  ]);
  assert.equal(policy.rules.map((rule) => rule.line), [1, 2]);
  assert.is(policy.elevate, 'pkexec');
});

test('a namespace name is valid in a rule exactly when the command line accepts it', () => {
  const names = ['wg', 'vpn0', 'a.b-c_d', '0', 'n'.repeat(64), 'n'.repeat(65), '../x', 'x/y', '.x', '-x', '..', 'w\u00e9', '$x', 'a:b', '*x'];
  for (const name of names) {
    let accepted = true;
    try {
      parsePolicy(`allow alice ${name}`);
    } catch {
      accepted = false;
    }
    assert.is(accepted, NAME_PATTERN.test(name), `${JSON.stringify(name)}: the policy and the command line disagree`);
  }
  assert.equal(parsePolicy(`allow alice ${'n'.repeat(64)},0`).rules[0]!.namespaces, ['n'.repeat(64), '0']);
});

// ---- what is refused ------------------------------------------------------

test('an unknown first word is refused and named; a line starts with allow or elevate', () => {
  for (const [line, word] of [['deny alice wg', 'deny'], ['Allow alice wg', 'Allow'], ['permit alice wg', 'permit'], ['alice wg', 'alice'],
    ['%netns wg', '%netns'], ['ALL *', 'ALL'], ['ELEVATE sudo', 'ELEVATE'], ['create', 'create']] as const) {
    const failure = refusedAtLine5(line);
    assert.ok(failure.message.includes(`unknown word "${word}"`), `${line}: ${failure.message}`);
    assert.match(failure.message, /'allow' or 'elevate'/);
  }
});

test('allow with a missing field is refused', () => {
  for (const line of ['allow', 'allow alice', 'allow %netns', 'allow ALL', 'allow   \t ']) {
    assert.match(refusedAtLine5(line).message, /expected 'allow WHO NAMESPACES \[create\]'/, line);
  }
});

test('allow with extra words is refused', () => {
  for (const line of ['allow alice wg create now', 'allow alice wg vpn', 'allow alice wg create create', 'allow alice wg, vpn', 'allow alice wg -- id']) {
    assert.match(refusedAtLine5(line).message, /expected 'allow WHO NAMESPACES \[create\]'/, line);
  }
});

test("'create' misspelled, in another case or decorated is refused, not read as a plain rule", () => {
  for (const line of ['allow alice wg creat', 'allow alice wg Create', 'allow alice wg CREATE', 'allow alice wg create,', 'allow alice wg --create', 'allow alice wg created', 'allow alice wg yes']) {
    assert.match(refusedAtLine5(line).message, /expected 'allow WHO NAMESPACES \[create\]'/, line);
  }
});

test('a WHO that is no user name, %group or ALL is refused and named', () => {
  for (const who of ['-alice', '.alice', 'ali/ce', 'al:ice', 'al$ice', 'alice,bob', 'ALL,bob', '*', '"alice"', 'ali\u00e9', '@alice', '$']) {
    const failure = refusedAtLine5(`allow ${who} wg`);
    assert.ok(failure.message.includes(`${JSON.stringify(who)} is not a user, %group or ALL`), `${who}: ${failure.message}`);
  }
});

test('a %group that is no group name is refused and named', () => {
  for (const who of ['%', '%-wheel', '%.wheel', '%wh/eel', '%%wheel', '%a,b', '%wheel%', '%*']) {
    const failure = refusedAtLine5(`allow ${who} wg`);
    assert.ok(failure.message.includes(`${JSON.stringify(who)} is not a user, %group or ALL`), `${who}: ${failure.message}`);
  }
});

test('a namespace that is no valid name is refused and named: no path, no dot first, no empty list item, * only alone', () => {
  const cases: [string, string][] = [
    ['../x', '../x'], ['x/y', 'x/y'], ['.hidden', '.hidden'], ['..', '..'], ['-x', '-x'], ['/run/netns/wg', '/run/netns/wg'],
    ['wg,', ''], [',wg', ''], ['wg,,vpn', ''], ['*,wg', '*'], ['wg,*', '*'], ['wg,../x', '../x'], ['n'.repeat(65), 'n'.repeat(65)],
    ['w\u00e9', 'w\u00e9'], ['$x', '$x'], ['wg;id', 'wg;id'],
  ];
  for (const [names, bad] of cases) {
    const failure = refusedAtLine5(`allow alice ${names}`);
    assert.ok(failure.message.includes(`${JSON.stringify(bad)} is not a namespace name`), `${names}: ${failure.message}`);
  }
});

test('keep-env after sudo or pkexec hands the caller\'s environment over; off by default', () => {
  assert.is(parsePolicy('elevate sudo keep-env').keepEnv, true);
  assert.is(parsePolicy('elevate pkexec keep-env').elevate, 'pkexec');
  assert.is(parsePolicy('elevate pkexec keep-env').keepEnv, true);
  assert.is(parsePolicy('elevate sudo').keepEnv, false);
  assert.is(parsePolicy('').keepEnv, false);
  assert.is(EMPTY_POLICY.keepEnv, false);
  // The last elevate line counts, keep-env with it.
  assert.is(parsePolicy('elevate sudo keep-env\nelevate sudo').keepEnv, false);
});

test('elevate with a missing, unknown or extra value is refused', () => {
  for (const line of ['elevate', 'elevate root', 'elevate su', 'elevate SUDO', 'elevate Pkexec', 'elevate sudo pkexec', 'elevate none now', 'elevate *', 'elevate none keep-env', 'elevate sudo keep-env x', 'elevate sudo keepenv', 'elevate keep-env']) {
    assert.match(refusedAtLine5(line).message, /'elevate' takes one of sudo, pkexec, none/, line);
  }
});

test('the refusal names the file it was given and the exact line, and says root still works', () => {
  const failure = refused('allow alice wg\n\n\n\n\n\n\nallow alice ../x\n', '/srv/policy.conf');
  assert.ok(failure.message.startsWith('/srv/policy.conf line 8: '), failure.message);
  assert.match(failure.message, /root can still run netns-run/);
  assert.ok(refused('deny x').message.startsWith(`${POLICY_FILE} line 1: `));
  assert.ok(refused('allow a wg\r\nallow b wg\r\nallow c ../x\r\n').message.startsWith(`${POLICY_FILE} line 3: `));
});

test('the first bad line is the one reported', () => {
  assert.ok(refused('allow alice wg\ndeny bob wg\nelevate root\n').message.startsWith(`${POLICY_FILE} line 2: `));
});

test('one bad line makes the whole file invalid: no rule of it is applied', () => {
  // The good rules come before and after the bad line; nothing is returned at all.
  refused('allow ALL * create\nallow alice wg creat\nallow bob wg\n');
  refused('elevate none\nelevate maybe\n');
});

test('a control character in a word is escaped in the message, never printed raw', () => {
  const failure = refused('allow ali\u001b[2Jce wg');
  assert.ok(failure.message.includes('\\u001b'), failure.message);
  assert.not.ok(failure.message.includes('\u001b'), 'the raw escape reached the message');
});

// ---- may() -----------------------------------------------------------------

test('root may use and create anything, with any policy or none', () => {
  for (const policy of [EMPTY_POLICY, parsePolicy('allow alice wg'), parsePolicy('elevate none')]) {
    for (const name of ['wg', 'anything', 'x'.repeat(64)]) {
      assert.ok(may(policy, ROOT_MEMBER, name, 'use'), `root may not use ${name}`);
      assert.ok(may(policy, ROOT_MEMBER, name, 'create'), `root may not create ${name}`);
    }
  }
});

test('being root is uid 0, not the name: a user named root with another uid gets no more than a rule gives', () => {
  const fakeRoot = member('root', [], 1001);
  assert.not.ok(may(EMPTY_POLICY, fakeRoot, 'wg', 'use'));
  assert.not.ok(may(parsePolicy('allow alice *'), fakeRoot, 'wg', 'use'));
  assert.ok(may(parsePolicy('allow root wg'), fakeRoot, 'wg', 'use'));
  assert.not.ok(may(parsePolicy('allow root wg'), fakeRoot, 'wg', 'create'));
});

test('EMPTY_POLICY (no file) refuses everyone but root, and self-elevates through sudo', () => {
  assert.equal(EMPTY_POLICY.rules, []);
  assert.is(EMPTY_POLICY.elevate, 'sudo');
  for (const who of [ALICE, member('bob', ['netns', 'wheel', 'sudo']), member('nobody', [], 65534)]) {
    assert.not.ok(may(EMPTY_POLICY, who, 'wg', 'use'), `${who.user} may use wg`);
    assert.not.ok(may(EMPTY_POLICY, who, 'wg', 'create'), `${who.user} may create wg`);
  }
});

test('a user rule grants that user, matched by the exact name, and no one else', () => {
  const policy = parsePolicy('allow alice wg');
  assert.ok(may(policy, ALICE, 'wg', 'use'));
  for (const other of ['bob', 'Alice', 'alice2', 'alic', 'ALL', '%alice']) {
    assert.not.ok(may(policy, member(other), 'wg', 'use'), `${other} may use wg`);
  }
});

test('a group rule grants members, asked through inGroup with the name without %', () => {
  const asked: string[] = [];
  const inNetns: Member = { user: 'carol', uid: 1002, inGroup: (group) => (asked.push(group), group === 'netns') };
  const policy = parsePolicy('allow %netns wg');
  assert.ok(may(policy, inNetns, 'wg', 'use'));
  assert.equal(asked, ['netns']);
  assert.not.ok(may(policy, member('dave', ['wheel', 'netns2', 'Netns']), 'wg', 'use'), 'a member of other groups may use wg');
  assert.not.ok(may(policy, member('netns'), 'wg', 'use'), 'a user named like the group may use wg');
});

test('group membership is not asked for a rule about another namespace', () => {
  const asked: string[] = [];
  const spy: Member = { user: 'carol', uid: 1002, inGroup: (group) => (asked.push(group), true) };
  assert.not.ok(may(parsePolicy('allow %netns wg'), spy, 'vpn', 'use'));
  assert.equal(asked, []);
});

test('ALL grants every user', () => {
  const policy = parsePolicy('allow ALL wg');
  for (const who of [ALICE, member('bob'), member('nobody', [], 65534)]) assert.ok(may(policy, who, 'wg', 'use'), who.user);
});

test('* matches every name; a list matches only its own names, exactly', () => {
  const star = parsePolicy('allow alice *');
  for (const name of ['wg', 'vpn0', 'a.b-c', 'x'.repeat(64)]) assert.ok(may(star, ALICE, name, 'use'), name);
  const list = parsePolicy('allow alice wg,vpn0');
  assert.ok(may(list, ALICE, 'wg', 'use'));
  assert.ok(may(list, ALICE, 'vpn0', 'use'));
  for (const name of ['vpn', 'wg0', 'w', 'WG', 'vpn0.', '*']) assert.not.ok(may(list, ALICE, name, 'use'), name);
});

test("a rule for another namespace grants nothing for this one, not even to a member of its group", () => {
  assert.not.ok(may(parsePolicy('allow alice wg create'), ALICE, 'vpn', 'use'));
  assert.not.ok(may(parsePolicy('allow alice wg create'), ALICE, 'vpn', 'create'));
  assert.not.ok(may(parsePolicy('allow %netns wg'), member('carol', ['netns']), 'vpn', 'use'));
  assert.not.ok(may(parsePolicy('allow ALL wg'), ALICE, 'vpn', 'use'));
});

test("use vs create: a plain rule lets one use but not create; 'create' grants both", () => {
  const plain = parsePolicy('allow alice wg');
  assert.ok(may(plain, ALICE, 'wg', 'use'));
  assert.not.ok(may(plain, ALICE, 'wg', 'create'));
  const create = parsePolicy('allow alice wg create');
  assert.ok(may(create, ALICE, 'wg', 'use'), 'create does not imply use');
  assert.ok(may(create, ALICE, 'wg', 'create'));
  assert.not.ok(may(parsePolicy('allow alice * \nallow %netns wg create'), ALICE, 'wg', 'create'), 'create came from a rule that is not about alice');
  assert.not.ok(may(parsePolicy('allow alice wg\nallow alice vpn create'), ALICE, 'wg', 'create'), 'create came from a rule about another namespace');
});

test('any matching rule grants: rules add up, and order does not matter', () => {
  const text = ['allow bob vpn', 'allow %netns wg', 'allow alice lab create'];
  const carol = member('carol', ['netns']);
  for (const lines of [text, [...text].reverse()]) {
    const policy = parsePolicy(lines.join('\n'));
    assert.ok(may(policy, carol, 'wg', 'use'));
    assert.ok(may(policy, ALICE, 'lab', 'create'));
    assert.ok(may(policy, member('bob'), 'vpn', 'use'));
    assert.not.ok(may(policy, carol, 'vpn', 'use'));
    assert.not.ok(may(policy, member('bob'), 'lab', 'use'));
  }
});

test('no rule at all: false for use and for create', () => {
  const policy = parsePolicy('elevate pkexec\n# nobody yet\n');
  assert.not.ok(may(policy, ALICE, 'wg', 'use'));
  assert.not.ok(may(policy, ALICE, 'wg', 'create'));
});

// ---- memberOf(): groups as NSS and the kernel see them ------------------------

test('memberOf: a named group counts when its gid is the primary or a supplementary gid of the caller', async () => {
  const policy = parsePolicy('allow %root wg\nallow %nrt-no-such-group-x wg');
  const primary = await memberOf(caller('alice', 1000, 0, [1000]), policy, '/usr/bin/getent');
  assert.ok(primary.inGroup('root'), 'primary gid 0 is not in root');
  const supplementary = await memberOf(caller('alice', 1000, 1000, [1000, 0]), policy, '/usr/bin/getent');
  assert.ok(supplementary.inGroup('root'), 'supplementary gid 0 is not in root');
  const outsider = await memberOf(caller('alice', 1000, 1000, [1000, 27]), policy, '/usr/bin/getent');
  assert.not.ok(outsider.inGroup('root'), 'a caller without gid 0 is in root');
  assert.not.ok(primary.inGroup('nrt-no-such-group-x'), 'a group that does not exist has members');
  assert.not.ok(primary.inGroup('wheel'), 'a group the policy does not name was answered yes');
  assert.is(primary.user, 'alice');
  assert.is(primary.uid, 1000);
});

test('memberOf runs getent only when the policy names a group, and only for the groups it names', async () => {
  // A stand-in getent that records each question and knows no group.
  const log = join(scratch, 'getent.log');
  const getent = join(scratch, 'getent');
  writeFileSync(getent, `#!/bin/sh\necho "$*" >> '${log}'\nexit 2\n`, { mode: 0o755 });
  chmodSync(getent, 0o755);
  const asked = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
  const who = await memberOf(caller('alice', 1000, 0, [0]), parsePolicy('allow alice wg\nallow ALL vpn'), getent);
  assert.equal(asked(), [], 'getent was run for a policy that names no group');
  assert.not.ok(who.inGroup('root'));
  const grouped = await memberOf(caller('alice', 1000, 0, [0]), parsePolicy('allow %netns wg\nallow alice vpn\nallow %ops wg,vpn\nallow %netns lab'), getent);
  assert.equal(asked(), ['group netns', 'group ops'], 'getent was asked other questions than the named groups, once each');
  // getent failing (no such group) means no membership, never an error or a yes.
  assert.not.ok(grouped.inGroup('netns'));
  assert.not.ok(grouped.inGroup('ops'));
});

// ---- refusal() ----------------------------------------------

test('refusal names the user, the namespace and the policy file, in one line with status 125', () => {
  const alice = caller('alice', 1000, 1000, [1000]);
  const use = refusal(alice, 'wg', 'use');
  assert.instance(use, NetnsRunError);
  assert.is(use.status, 125);
  assert.ok(use.message.startsWith('alice may not use the namespace wg: '), use.message);
  assert.ok(use.message.includes('/etc/netns-run.conf'), use.message);
  assert.not.match(use.message, /[\r\n]/);
  const create = refusal(caller('bob', 1001, 1001, []), 'vpn0', 'create');
  assert.is(create.status, 125);
  assert.ok(create.message.startsWith('bob may not make the new namespace vpn0: '), create.message);
  assert.ok(create.message.includes('/etc/netns-run.conf'), create.message);
  // Where the namespace stands and only its network is missing, the refusal says that, not "the new namespace".
  assert.instance(create, CreateRefused);
  const network = (create as CreateRefused).forNetwork();
  assert.is(network.status, 125);
  assert.ok(network.message.startsWith('bob may not make the network of namespace vpn0 (its tunnels or links are not up yet): '), network.message);
  assert.ok(network.message.includes("'netns-run --ensure vpn0'"), network.message);
  assert.not.match(network.message, /[\r\n]|new namespace/);
});

// ---- loadPolicy(): read like sudoers reads sudoers ------------------------------

test('loadPolicy: no file means the empty policy', () => {
  assert.is(loadPolicy(join(scratch, 'missing', 'netns-run.conf')), EMPTY_POLICY);
});

test('loadPolicy: a symbolic link is refused, even to a good file', () => {
  const real = join(scratch, 'real.conf');
  const link = join(scratch, 'link.conf');
  writeFileSync(real, 'allow ALL * create\n', { mode: 0o644 });
  symlinkSync(real, link);
  try {
    loadPolicy(link);
    assert.unreachable('a symlink was read');
  } catch (error) {
    assert.instance(error, NetnsRunError, String(error));
    assert.match((error as Error).message, /symbolic link/);
    assert.is((error as NetnsRunError).status, 125);
  }
});

/** A root-owned directory 0755 holding FILE with TEXT and MODE; only root can make one. */
function rootFile(name: string, text: string, mode: number): { dir: string; file: string } {
  const dir = join(scratch, name);
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const file = join(dir, 'netns-run.conf');
  writeFileSync(file, text, { mode });
  chmodSync(file, mode);
  return { dir, file };
}

function loadRefused(file: string, pattern: RegExp): void {
  try {
    const policy = loadPolicy(file);
    assert.unreachable(`read ${file} as ${JSON.stringify(policy)}`);
  } catch (error) {
    assert.instance(error, NetnsRunError, String(error));
    assert.match((error as Error).message, pattern);
  }
}

if (isRoot) {
  test('loadPolicy: a file owned by root, 0644, in a directory owned by root is read', () => {
    const { file } = rootFile('good', 'allow alice wg\nelevate pkexec\n', 0o644);
    const policy = loadPolicy(file);
    assert.is(policy.rules.length, 1);
    assert.is(policy.elevate, 'pkexec');
  });

  test('loadPolicy: writable by group or others, owned by someone else, or in such a directory: refused', () => {
    loadRefused(rootFile('group-writable', 'allow ALL *\n', 0o664).file, /owned by root and writable by no one else/);
    loadRefused(rootFile('world-writable', 'allow ALL *\n', 0o646).file, /owned by root and writable by no one else/);
    const foreign = rootFile('foreign', 'allow ALL *\n', 0o644);
    chownSync(foreign.file, 65534, 65534);
    loadRefused(foreign.file, /owned by root and writable by no one else/);
    const openDir = rootFile('open-dir', 'allow ALL *\n', 0o644);
    chmodSync(openDir.dir, 0o777);
    loadRefused(openDir.file, /owned by root and writable by no one else/);
    const foreignDir = rootFile('foreign-dir', 'allow ALL *\n', 0o644);
    chownSync(foreignDir.dir, 65534, 65534);
    loadRefused(foreignDir.file, /owned by root and writable by no one else/);
  });

  test('loadPolicy: a directory in place of the file is refused', () => {
    const { dir } = rootFile('not-a-file', '', 0o644);
    const inPlace = join(dir, 'sub.conf');
    mkdirSync(inPlace, { mode: 0o755 });
    loadRefused(inPlace, /not a regular file/);
  });

  test('loadPolicy: a malformed file is refused with its own path and line', () => {
    const { file } = rootFile('malformed', 'allow alice wg\nallow alice ../etc\n', 0o644);
    try {
      loadPolicy(file);
      assert.unreachable('a malformed file was read');
    } catch (error) {
      assert.instance(error, NetnsRunError, String(error));
      assert.ok((error as Error).message.startsWith(`${file} line 2: `), (error as Error).message);
    }
  });
} else {
  process.stdout.write('SKIP: loadPolicy with a file owned by root needs root to make one; the pure tests ran\n');
  test('loadPolicy: a file the caller owns is refused (not owned by root)', () => {
    const file = join(scratch, 'mine.conf');
    writeFileSync(file, 'allow ALL * create\n', { mode: 0o644 });
    loadRefused(file, /owned by root and writable by no one else/);
  });
}

test.run();
