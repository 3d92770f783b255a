// The everyday commands against the real kernel: --ensure, --list, --status,
// --down, and a run without COMMAND (the caller's shell, fed from a pipe).
// Namespaces are made by netns-run itself, by `ip netns add` (someone else's),
// and broken on purpose (an unmounted mntns, a leftover file); a plain user is
// played by setpriv --reuid=65534, a sudo user by the createTestUser fixture.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  assertOneErrorLine, assertRan, eventually, everythingOf, holdNamespace, isNsfs, linkFlags, listing, mountCount, mountPoints, netnsList, nsLink,
  present, processesIn, recordedNamespace, namespaceId, running, withNamespace,
} from '../support/kernel.js';
import { BIN, NODE, isRoot, netnsRun, runProgram, sh, skipReason, uniqueName, type Result } from '../support/netns-run.js';
import { cleanEnv, createTestUser, sudoMissing, type TestUser } from '../support/user.js';

/** The test's own environment without the ~90 ms NODE_EXTRA_CA_CERTS costs every Node start. */
const ENV: NodeJS.ProcessEnv = { ...process.env };
delete ENV.NODE_EXTRA_CA_CERTS;

const rootSkip = isRoot ? undefined : 'not root: these tests make namespaces';
const sudoSkip = rootSkip ?? sudoMissing();
if (rootSkip) skipReason(`command tests: ${rootSkip}`);
if (sudoSkip) skipReason(`command tests through sudo: ${sudoSkip}`);
const asRoot = rootSkip ? test.skip : test;
const viaSudo = sudoSkip ? test.skip : test;

const NOBODY = 65534;

/** netns-run as a plain user (no root, no sudo): nobody, no groups, a login-like environment. */
function asNobody(args: readonly string[], input?: string): Promise<Result> {
  return runProgram('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', NODE, BIN, ...args], {
    env: cleanEnv(),
    cwd: '/',
    ...(input === undefined ? {} : { input }),
  });
}

function run(args: readonly string[], input?: string): Promise<Result> {
  return netnsRun(args, { env: ENV, ...(input === undefined ? {} : { input }) });
}

/** The default resolvers of a namespace netns-run writes /etc/netns/NAME/resolv.conf for. */
const DEFAULT_NAMESERVERS = ['2606:4700:4700::1111', '2001:4860:4860::8888', '1.1.1.1', '8.8.8.8'];

/** dev:ino:ctime of what is at PATH: for nsfs the ctime is the namespace's birth, so a recreated one differs even on a recycled inode number. */
function identity(path: string): string {
  const st = statSync(path, { bigint: true });
  return `${st.dev}:${st.ino}:${st.ctimeNs}:${st.mtimeNs}`;
}

/** Every file, directory and mount netns-run keeps for NAME, each with its identity; the mounts with their mount ids. */
function snapshot(name: string): Record<string, string> {
  const shot: Record<string, string> = {};
  for (const dir of [`/run/netns-run/${name}`, `/etc/netns/${name}`]) {
    shot[dir] = identity(dir);
    for (const entry of readdirSync(dir)) shot[`${dir}/${entry}`] = identity(`${dir}/${entry}`);
  }
  shot[`/run/netns/${name}`] = identity(`/run/netns/${name}`);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.includes(name));
  shot.mountinfo = mounts.join('\n');
  return shot;
}

/** A process in the namespace shown as LINK whose command is COMM. */
function processNamed(link: string, comm: string): number | undefined {
  return processesIn(link).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm;
    } catch {
      return false;
    }
  });
}


/** netns-run's one-line notes on stderr: exactly these, nothing else. */
function assertNote(result: Result, pattern: RegExp, what: string): void {
  assert.ok(result.stderr.endsWith('\n'), `${what}: stderr does not end with a newline: ${JSON.stringify(result.stderr)}`);
  const lines = result.stderr.slice(0, -1).split('\n');
  assert.is(lines.length, 1, `${what}: stderr has ${lines.length} lines: ${JSON.stringify(result.stderr)}`);
  assert.match(lines[0]!, /^netns-run: \S/, what);
  assert.match(lines[0]!, pattern, what);
}

/** The facts netns-run makes for a namespace on first use, all of them. */
function assertMade(name: string): void {
  const netns = `/run/netns/${name}`;
  const state = `/run/netns-run/${name}`;
  assert.ok(isNsfs(netns), `${netns} is no namespace mount`);
  assert.ok(netnsList().includes(name), 'ip netns list does not list it');
  assert.ok(linkFlags(name, 'lo').includes('UP'), `lo is not up: ${linkFlags(name, 'lo').join(',')}`);
  // The state root is the one private mount; a namespace's state directory is no mount point (issue 16).
  assert.is(mountCount('/run/netns-run'), 1, '/run/netns-run is not one mount of its own');
  assert.is(mountCount(state), 0, `${state} is a mount point`);
  assert.ok(isNsfs(`${state}/mntns`), 'mntns is no namespace mount');
  assert.is(mountCount(`${state}/mntns`), 1, 'one mount at mntns');
  assert.is(recordedNamespace(`${state}/mntns.for`), namespaceId(netns), 'mntns.for names another namespace');
  assert.is(recordedNamespace(`${state}/created-netns`), namespaceId(netns), 'created-netns does not name the namespace');
  assert.match(readFileSync(`/etc/netns/${name}/resolv.conf`, 'utf8'), `Resolvers for network namespace ${name}`);
  assert.match(readFileSync(`/etc/netns/${name}/nsswitch.conf`, 'utf8'), `network namespace ${name}`);
}

// ---- --ensure ---------------------------------------------------------------

asRoot('--ensure makes everything a first run makes, and runs nothing', async () => {
  const scratch = mkdtempSync('/tmp/nrt-ensure-');
  try {
    await withNamespace('ensure', async (name) => {
      await withNamespace('ensureref', async (reference) => {
        const marker = `${scratch}/ran`;
        // Anything started would read stdin; a shell would create the marker.
        const result = await run(['--ensure', name], `touch ${marker}\n`);
        assertRan(result, '--ensure');
        assert.is(result.stdout, '', 'printed on stdout');
        assert.is(result.stderr, '', 'printed on stderr');
        assert.not.ok(present(marker), '--ensure ran a command: the marker exists');
        assertMade(name);
        const net = nsLink('net', `/run/netns/${name}`);
        assert.equal(processesIn(net), [], 'a process was left in the network namespace');
        assert.equal(processesIn(nsLink('mnt', `/run/netns-run/${name}/mntns`), 'mnt'), [], 'a process was left in the mount namespace');
        // The same as a namespace made by a run, name for name.
        assertRan(await run([reference, '--', 'true']), 'reference run');
        assert.equal(listing(`/run/netns-run/${name}`), listing(`/run/netns-run/${reference}`), 'state directories differ');
        assert.equal(listing(`/etc/netns/${name}`), listing(`/etc/netns/${reference}`), '/etc/netns directories differ');
        const shape = (n: string) => everythingOf(n).map((entry) => entry.split(n).join('NAME'));
        assert.equal(shape(name), shape(reference), 'what exists for the two differs');
      });
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

asRoot('a second --ensure changes nothing: same namespaces, files and mounts', async () => {
  await withNamespace('ensure2', async (name) => {
    assertRan(await run(['--ensure', name]), 'first --ensure');
    // Held alive, the namespaces keep their numbers: a recreated one could not pass for them.
    const net = await holdNamespace('net', `/run/netns/${name}`);
    const mnt = await holdNamespace('mnt', `/run/netns-run/${name}/mntns`);
    try {
      const before = snapshot(name);
      const result = await run(['--ensure', name]);
      assertRan(result, 'second --ensure');
      assert.is(result.stdout + result.stderr, '', 'the second --ensure printed something');
      assert.equal(snapshot(name), before, 'the second --ensure changed something');
    } finally {
      net.release();
      mnt.release();
    }
  });
});

asRoot('--list: a configuration only root may read is "?" to a plain user, not a failure; a misnamed *.conf is that namespace\'s problem, not the end of the listing', async () => {
  const hidden = uniqueName('lh');
  const misnamed = uniqueName('lm');
  try {
    for (const name of [hidden, misnamed]) sh(`ip netns add ${name}`);
    sh(`install -d -m 700 /etc/netns-run/${hidden} && install -m 600 /dev/null /etc/netns-run/${hidden}/wg0.conf`);
    sh(`install -d -m 755 /etc/netns-run/${misnamed} && install -m 600 /dev/null /etc/netns-run/${misnamed}/this-is-no-interface.conf`);
    const misnamedProblem = `problem: ${misnamed}: /etc/netns-run/${misnamed}/this-is-no-interface.conf: the name before .conf must be an interface name`;
    for (const [who, call] of [['root', run], ['a plain user', asNobody]] as const) {
      const text = await call(['--list']);
      assertRan(text, `--list as ${who}`);
      assert.is(text.stderr, '', `--list as ${who}: stderr`);
      const { rows } = parseList(text.stdout);
      assert.is(rows.find((r) => r.NAME === hidden)?.TUNNELS, who === 'root' ? 'wg0(missing)' : '?', `as ${who}: the tunnels of ${hidden}`);
      assert.is(rows.find((r) => r.NAME === misnamed)?.TUNNELS, 'refused', `as ${who}: the tunnels of ${misnamed}`);
      assert.ok(text.stdout.includes(misnamedProblem), `as ${who}: no problem line for ${misnamed}:\n${text.stdout}`);
      assert.not.ok(text.stdout.includes(`problem: ${hidden}:`), `as ${who}: a problem for ${hidden}:\n${text.stdout}`);
    }
    const json = JSON.parse((await asNobody(['--list', '--json'])).stdout) as { name: string; network: { hidden?: string }; problems: string[] }[];
    const entry = json.find((r) => r.name === hidden);
    assert.is(entry?.network.hidden, `only root may read /etc/netns-run/${hidden}`);
    assert.equal(entry?.problems, []);
    const status = await asNobody(['--status', hidden]);
    assert.match(status.stdout, `tunnels:       not shown: only root may read /etc/netns-run/${hidden}\n`);
    assert.not.match(status.stdout, /EACCES|cannot read/);
  } finally {
    for (const name of [hidden, misnamed]) {
      spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
      rmSync(`/etc/netns-run/${name}`, { recursive: true, force: true });
    }
  }
});

asRoot('--ensure as a plain user: 125, one line, nothing made', async () => {
  const name = uniqueName('ensureuser');
  try {
    const result = await asNobody(['--ensure', name]);
    assertOneErrorLine(result, 125, '--ensure as nobody');
    assert.match(result.stderr, /root|sudo/, 'the line does not say root or sudo is needed');
    assert.equal(everythingOf(name), [], 'something was made');
  } finally {
    spawnSync('sh', ['-c', `rm -rf /etc/netns/${name}; umount -l /run/netns-run/${name}; rm -rf /run/netns-run/${name}`], { stdio: 'ignore' });
  }
});

// ---- --list -------------------------------------------------------------------

const LIST_COLUMNS = ['NAME', 'MADE-BY', 'MOUNT-NS', 'RESOLVERS', 'TUNNELS', 'MAY-USE'] as const;
type ListRow = Record<(typeof LIST_COLUMNS)[number], string>;

/** The table cut at the header's column starts, so a misaligned cell shows. */
function parseList(text: string): { header: string; rows: ListRow[] } {
  const [header = '', ...lines] = text.replace(/\n$/, '').split('\n');
  assert.match(header, /^NAME +MADE-BY +MOUNT-NS +RESOLVERS +TUNNELS +MAY-USE$/, `header: ${JSON.stringify(header)}`);
  const starts = LIST_COLUMNS.map((column) => header.indexOf(column));
  const rows = lines.map((line) => {
    const row = {} as ListRow;
    LIST_COLUMNS.forEach((column, i) => {
      row[column] = line.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : undefined).trim();
    });
    return row;
  });
  return { header, rows };
}

interface JsonRow {
  name: string;
  netns: string;
  madeByNetnsRun: boolean;
  mountNamespace: string;
  nameservers: string[];
  mayUse: boolean;
}

/** The text row says what the JSON row says. */
function assertSameFacts(text: ListRow, json: JsonRow): void {
  assert.is(text['MADE-BY'], json.madeByNetnsRun ? 'netns-run' : 'other', `${json.name}: MADE-BY`);
  // One vocabulary: the text says the JSON's words.
  assert.is(text['MOUNT-NS'], json.mountNamespace, `${json.name}: MOUNT-NS`);
  assert.is(text.RESOLVERS, json.nameservers.length ? json.nameservers.join(',') : '-', `${json.name}: RESOLVERS`);
  // No /etc/netns-run/NAME here: no tunnel.
  assert.is(text.TUNNELS, '-', `${json.name}: TUNNELS`);
  assert.is(text['MAY-USE'], json.mayUse ? 'yes' : 'no', `${json.name}: MAY-USE`);
}

asRoot('--list: text and JSON show each namespace, who made it, its mount namespace and resolvers; odd names are left out', async () => {
  const made = uniqueName('listmade');
  const other = uniqueName('listother');
  const stale = uniqueName('liststale');
  // Names ip accepts and netns-run refuses: a space, a leading dot, 70 characters.
  const spaced = `${uniqueName('listbad')} x`;
  const dotted = `.${uniqueName('listdot')}`;
  const long = `${uniqueName('listlong')}-`.padEnd(70, 'a');
  const odd = [spaced, dotted, long];
  try {
    assertRan(await run(['--ensure', made]), '--ensure made');
    assertRan(await run(['--ensure', stale]), '--ensure stale');
    sh(`umount /run/netns-run/${stale}/mntns`);
    sh(`ip netns add ${other} && mkdir -p /etc/netns/${other}`);
    writeFileSync(`/etc/netns/${other}/resolv.conf`, 'nameserver 192.0.2.53\n# nameserver 192.0.2.99\nnameserver 2001:db8::53\n');
    for (const name of odd) {
      const added = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
      assert.is(added.status, 0, `precondition: ip netns add ${JSON.stringify(name)}: ${added.stderr}`);
    }

    const expected: Record<string, Omit<ListRow, 'NAME' | 'MAY-USE'>> = {
      [made]: { 'MADE-BY': 'netns-run', 'MOUNT-NS': 'current', RESOLVERS: DEFAULT_NAMESERVERS.join(','), TUNNELS: '-' },
      [other]: { 'MADE-BY': 'other', 'MOUNT-NS': 'missing', RESOLVERS: '192.0.2.53,2001:db8::53', TUNNELS: '-' },
      [stale]: { 'MADE-BY': 'netns-run', 'MOUNT-NS': 'stale', RESOLVERS: DEFAULT_NAMESERVERS.join(','), TUNNELS: '-' },
    };

    for (const [who, call] of [['root', run], ['a plain user', asNobody]] as const) {
      const text = await call(['--list']);
      assertRan(text, `--list as ${who}`);
      assert.is(text.stderr, '', `--list as ${who}: stderr`);
      const { rows } = parseList(text.stdout);
      const json = await call(['--list', '--json']);
      assertRan(json, `--list --json as ${who}`);
      assert.is(json.stderr, '', `--list --json as ${who}: stderr`);
      const parsed = JSON.parse(json.stdout) as JsonRow[];
      assert.ok(Array.isArray(parsed), 'the JSON is no array');

      for (const [name, facts] of Object.entries(expected)) {
        const row = rows.find((r) => r.NAME === name);
        assert.ok(row, `as ${who}: no line for ${name} in\n${text.stdout}`);
        assert.equal(row, { NAME: name, ...facts, 'MAY-USE': who === 'root' ? 'yes' : 'no' }, `as ${who}: the line for ${name}`);
        const entry = parsed.find((r) => r.name === name);
        assert.ok(entry, `as ${who}: no JSON entry for ${name}`);
        assert.is(entry!.netns, 'mounted', `${name}: netns`);
        assertSameFacts(row!, entry!);
      }
      for (const name of odd) {
        const core = name.replace(/^\./, '').replace(/ x$/, '').slice(0, 20);
        assert.not.ok(text.stdout.includes(core), `as ${who}: ${JSON.stringify(name)} is listed:\n${text.stdout}`);
        assert.not.ok(parsed.some((r) => r.name === name), `as ${who}: ${JSON.stringify(name)} is in the JSON`);
      }
      for (const r of parsed) assert.match(r.name, /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, `as ${who}: a name netns-run refuses is listed`);
    }
  } finally {
    for (const name of [made, other, stale]) {
      spawnSync('sh', ['-c', `umount /run/netns-run/${name}/mntns; umount -l /run/netns-run/${name}; rm -rf /run/netns-run/${name} /etc/netns/${name}; ip netns delete ${name}; rm -f /run/netns/${name}`], { stdio: 'ignore' });
    }
    for (const name of odd) {
      spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
      rmSync(`/run/netns/${name}`, { force: true });
    }
  }
});

// ---- --status -----------------------------------------------------------------

interface StatusJson {
  name: string;
  netns: string;
  madeByNetnsRun: boolean;
  mountNamespace: string;
  nameservers: string[];
  privilege: string;
  helpers: Record<string, string | null>;
  problems: string[];
  usable: boolean;
}

async function statusJson(call: (args: readonly string[]) => Promise<Result>, name: string, code: number): Promise<StatusJson> {
  const result = await call(['--status', name, '--json']);
  assert.is(result.code, code, `--status --json: exit ${result.code}, stderr: ${result.stderr}`);
  assert.is(result.stderr, '', '--status --json: stderr');
  return JSON.parse(result.stdout) as StatusJson;
}

/** "key: value" lines into a map; problem lines collected. */
function statusLines(text: string): { fields: Map<string, string>; problems: string[] } {
  const fields = new Map<string, string>();
  const problems: string[] = [];
  for (const line of text.split('\n').filter(Boolean)) {
    const match = /^([a-z. ]+):\s+(.*)$/.exec(line);
    assert.ok(match, `not a "key: value" line: ${JSON.stringify(line)}`);
    if (match![1] === 'problem') problems.push(match![2]!);
    else fields.set(match![1]!, match![2]!);
  }
  return { fields, problems };
}

asRoot('--status of a made namespace: exit 0, usable: yes, and the JSON has every fact', async () => {
  await withNamespace('status', async (name) => {
    assertRan(await run([name, '--', 'true']), 'first run');
    const text = await run(['--status', name]);
    assertRan(text, '--status');
    assert.is(text.stderr, '', 'stderr');
    const { fields, problems } = statusLines(text.stdout);
    assert.is(fields.get('name'), name);
    assert.is(fields.get('usable'), 'yes');
    assert.match(fields.get('network ns') ?? '', `/run/netns/${name} (made by netns-run)`);
    assert.match(fields.get('mount ns') ?? '', `/run/netns-run/${name}/mntns (current)`);
    assert.match(fields.get('resolv.conf') ?? '', DEFAULT_NAMESERVERS.join(', '));
    assert.is(fields.get('privilege'), 'root');
    assert.equal(problems, []);

    const json = await statusJson(run, name, 0);
    for (const key of ['name', 'netns', 'madeByNetnsRun', 'mountNamespace', 'nameservers', 'helpers', 'problems', 'usable']) {
      assert.ok(key in json, `the JSON has no ${key}`);
    }
    assert.is(json.name, name);
    assert.is(json.netns, 'mounted');
    assert.is(json.madeByNetnsRun, true);
    assert.is(json.mountNamespace, 'current');
    assert.equal(json.nameservers, DEFAULT_NAMESERVERS);
    assert.equal(json.problems, []);
    assert.is(json.usable, true);
    assert.is(json.privilege, 'root');
    const helpers = Object.entries(json.helpers);
    assert.ok(helpers.length >= 3, `few helpers: ${JSON.stringify(json.helpers)}`);
    for (const [tool, path] of helpers) assert.ok(typeof path === 'string' && path.startsWith('/') && present(path), `helper ${tool}: ${path}`);
    for (const tool of ['nsenter', 'setpriv', 'ip', 'mount']) assert.ok(tool in json.helpers, `no helper ${tool}`);
  });
});

asRoot('--status as a plain user sudo refuses: exit 1, a problem saying sudo refuses them, nothing changed', async () => {
  await withNamespace('statususer', async (name) => {
    assertRan(await run(['--ensure', name]), '--ensure');
    const before = snapshot(name);
    const text = await asNobody(['--status', name]);
    assert.is(text.code, 1, `exit ${text.code}, stderr: ${text.stderr}`);
    assert.is(text.stderr, '', 'stderr');
    const { fields, problems } = statusLines(text.stdout);
    assert.is(fields.get('usable'), 'no');
    assert.match(fields.get('privilege') ?? '', /^none; a run elevates itself through sudo, which refuses you$/);
    assert.ok(problems.some((p) => /root/.test(p) && /sudo/.test(p)), `no problem about root/sudo: ${JSON.stringify(problems)}`);
    const json = await statusJson(asNobody, name, 1);
    assert.is(json.usable, false);
    assert.is(json.privilege, 'none');
    assert.equal((json as unknown as { selfElevation: unknown }).selfElevation, { method: 'sudo', works: false, problem: json.problems[0] });
    assert.is(json.madeByNetnsRun, true, 'a plain user cannot tell who made it');
    assert.is(json.mountNamespace, 'current');
    assert.ok(json.problems.some((p) => /root/.test(p) && /sudo/.test(p)), `no problem about root/sudo: ${JSON.stringify(json.problems)}`);
    assert.equal(snapshot(name), before, '--status changed something');
  });
});

asRoot('--status: an unmounted mntns shows as stale but the namespace is still usable, and a run agrees', async () => {
  await withNamespace('statusstale', async (name) => {
    assertRan(await run(['--ensure', name]), '--ensure');
    sh(`umount /run/netns-run/${name}/mntns`);
    const text = await run(['--status', name]);
    assertRan(text, '--status with a stale mntns');
    const { fields, problems } = statusLines(text.stdout);
    assert.match(fields.get('mount ns') ?? '', /stale/);
    assert.is(fields.get('usable'), 'yes');
    assert.equal(problems, []);
    const json = await statusJson(run, name, 0);
    assert.is(json.mountNamespace, 'stale');
    assert.is(json.netns, 'mounted');
    assert.is(json.usable, true);
    assert.equal(json.problems, []);
    const result = await run([name, '--', 'readlink', '/proc/self/ns/net']);
    assertRan(result, 'the run after --status said usable');
    assert.is(result.stdout.trim(), nsLink('net', `/run/netns/${name}`));
  });
});

asRoot('--status: a leftover file that is no namespace at /run/netns/NAME is a problem, and a run agrees', async () => {
  await withNamespace('statusfile', async (name) => {
    sh(`mkdir -p /run/netns && printf 'not a namespace\\n' > /run/netns/${name}`);
    const text = await run(['--status', name]);
    assert.is(text.code, 1, `exit ${text.code}, stderr: ${text.stderr}`);
    const { fields, problems } = statusLines(text.stdout);
    assert.is(fields.get('usable'), 'no');
    assert.match(fields.get('network ns') ?? '', /leftover/);
    assert.ok(problems.some((p) => p.includes(`/run/netns/${name}`)), `no problem about /run/netns/${name}: ${JSON.stringify(problems)}`);
    const json = await statusJson(run, name, 1);
    assert.is(json.netns, 'stale');
    assert.is(json.madeByNetnsRun, false);
    assert.is(json.usable, false);
    assert.ok(json.problems.some((p) => p.includes(`/run/netns/${name}`)), JSON.stringify(json.problems));
    // The verdict is right: a run refuses, and the file is left alone.
    const result = await run([name, '--', 'true']);
    assertOneErrorLine(result, 125, 'a run over the leftover file');
    assert.is(readFileSync(`/run/netns/${name}`, 'utf8'), 'not a namespace\n', 'the leftover file was changed');
  });
});

// ---- --down -------------------------------------------------------------------

asRoot('--down after a run: mntns, state directory and the namespace netns-run made are gone; /etc/netns/NAME stays', async () => {
  await withNamespace('down', async (name) => {
    assertRan(await run([name, '--', 'true']), 'first run');
    const resolv = readFileSync(`/etc/netns/${name}/resolv.conf`, 'utf8');
    const nsswitch = readFileSync(`/etc/netns/${name}/nsswitch.conf`, 'utf8');
    const result = await run(['--down', name]);
    assertRan(result, '--down');
    assert.is(result.stdout + result.stderr, '', '--down printed something');
    assert.equal(mountPoints().filter((point) => point.includes(name)), [], 'a mount is left');
    assert.not.ok(present(`/run/netns-run/${name}`), 'the state directory is left');
    assert.not.ok(present(`/run/netns/${name}`), '/run/netns/NAME is left');
    assert.not.ok(netnsList().includes(name), 'ip netns list still lists it');
    assert.is(readFileSync(`/etc/netns/${name}/resolv.conf`, 'utf8'), resolv, 'resolv.conf changed or is gone');
    assert.is(readFileSync(`/etc/netns/${name}/nsswitch.conf`, 'utf8'), nsswitch, 'nsswitch.conf changed or is gone');
    assert.equal(everythingOf(name), [`/etc/netns/${name}`], 'more than the configuration is left');
  });
});

asRoot('--down, then a run: the namespace is made again and works', async () => {
  await withNamespace('downup', async (name) => {
    assertRan(await run([name, '--', 'true']), 'first run');
    assertRan(await run(['--down', name]), '--down');
    const again = await run([name, '--', 'sh', '-c', 'readlink /proc/self/ns/net /proc/self/ns/mnt; echo "$NETNS_RUN_NAME"']);
    assertRan(again, 'the run after --down');
    const [net, mnt, shown] = again.stdout.trim().split('\n');
    assert.is(net, nsLink('net', `/run/netns/${name}`), 'not in the new /run/netns/NAME');
    assert.is(mnt, nsLink('mnt', `/run/netns-run/${name}/mntns`), 'not in the new mount namespace');
    assert.is(shown, name);
    assertMade(name);
  });
});

asRoot('--down keeps a namespace made by ip netns add, with a one-line note; --force deletes it', async () => {
  await withNamespace('downforeign', async (name) => {
    sh(`ip netns add ${name} && ip -n ${name} link add nrtdn0 type veth peer name nrtdn1`);
    const theirs = identity(`/run/netns/${name}`);
    assertRan(await run([name, '--', 'true']), 'a run in their namespace');
    assert.ok(isNsfs(`/run/netns-run/${name}/mntns`), 'precondition: a mount namespace was made');
    const down = await run(['--down', name]);
    assertRan(down, '--down');
    assert.is(down.stdout, '', 'stdout');
    assertNote(down, new RegExp(`kept /run/netns/${name}\\b.*--force`), '--down of their namespace');
    assert.is(identity(`/run/netns/${name}`), theirs, 'their namespace was replaced or removed');
    assert.ok(linkFlags(name, 'nrtdn0').length > 0, 'their interface is gone');
    assert.not.ok(present(`/run/netns-run/${name}`), 'the state directory is left');
    assert.equal(mountPoints().filter((point) => point.includes(`/run/netns-run/${name}`)), [], 'a state mount is left');

    const forced = await run(['--down', name, '--force']);
    assertRan(forced, '--down --force');
    assert.is(forced.stdout + forced.stderr, '', '--down --force printed something');
    assert.not.ok(present(`/run/netns/${name}`), '--force left /run/netns/NAME');
    assert.not.ok(netnsList().includes(name), '--force left it in ip netns list');
  });
});

asRoot('--down keeps a namespace netns-run made but ip netns deleted and re-added behind its back', async () => {
  await withNamespace('downreplaced', async (name) => {
    assertRan(await run([name, '--', 'true']), 'first run');
    sh(`ip netns delete ${name} && ip netns add ${name}`);
    const theirs = identity(`/run/netns/${name}`);
    const now = statSync(`/run/netns/${name}`, { bigint: true });
    assert.is.not(readFileSync(`/run/netns-run/${name}/created-netns`, 'utf8').trim(), `${now.dev}:${now.ino}:${now.ctimeNs}`,
      'precondition: the marker names the namespace netns-run made, not the re-added one');
    const down = await run(['--down', name]);
    assertRan(down, '--down');
    assertNote(down, new RegExp(`kept /run/netns/${name}\\b`), '--down of the re-added namespace');
    assert.is(identity(`/run/netns/${name}`), theirs, 'the re-added namespace was removed or replaced');
    assert.ok(netnsList().includes(name), 'ip netns list lost it');
    assert.not.ok(present(`/run/netns-run/${name}`), 'the state directory is left');
  });
});

asRoot('--down of a name with nothing: 125, one line, nothing made', async () => {
  const name = uniqueName('downnone');
  try {
    assert.equal(everythingOf(name), [], 'precondition: nothing exists');
    const result = await run(['--down', name]);
    assertOneErrorLine(result, 125, '--down of nothing');
    assert.match(result.stderr, name);
    assert.equal(everythingOf(name), [], '--down made something');
  } finally {
    spawnSync('sh', ['-c', `umount -l /run/netns-run/${name}; rm -rf /run/netns-run/${name} /etc/netns/${name}; ip netns delete ${name}`], { stdio: 'ignore' });
  }
});

asRoot('--down while a target still runs inside: it succeeds and the target keeps running', async () => {
  await withNamespace('downbusy', async (name) => {
    assertRan(await run(['--ensure', name]), '--ensure');
    const net = nsLink('net', `/run/netns/${name}`);
    let child: ChildProcess | undefined;
    try {
      child = spawn(NODE, [BIN, name, '--', 'sleep', '600'], { env: ENV, cwd: '/tmp', stdio: 'ignore', detached: true });
      let sleeper: number | undefined;
      assert.ok(await eventually(() => (sleeper = processNamed(net, 'sleep')) !== undefined, 20_000), 'the sleep never appeared in the namespace');
      const down = await run(['--down', name]);
      assertRan(down, '--down while busy');
      assert.is(down.stdout + down.stderr, '', '--down printed something');
      assert.not.ok(present(`/run/netns/${name}`), '/run/netns/NAME is left');
      assert.not.ok(present(`/run/netns-run/${name}`), 'the state directory is left');
      assert.ok(running(sleeper!), 'the sleep was killed');
      assert.is(readFileSync(`/proc/${sleeper}/comm`, 'utf8').trim(), 'sleep');
      assert.ok(child.exitCode === null && child.signalCode === null, `netns-run ended: ${child.exitCode} ${child.signalCode}`);
      // Its namespace lives on with it; the next run gets a new one.
      const again = await run([name, '--', 'readlink', '/proc/self/ns/net']);
      assertRan(again, 'a run after --down');
      assert.is.not(again.stdout.trim(), net, 'the new run joined the torn-down namespace');
      assert.ok(running(sleeper!), 'the sleep died when the name was made again');
    } finally {
      if (child?.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await eventually(() => processNamed(net, 'sleep') === undefined, 10_000);
    }
  });
});

// ---- no COMMAND: the caller's shell --------------------------------------------

function passwdShell(user: string): string {
  return sh(`getent passwd ${user}`).trim().split(':')[6] ?? '';
}

const SHELL_SCRIPT = 'echo "name=$NETNS_RUN_NAME"; echo "net=$(readlink /proc/self/ns/net)"; echo "exe=$(readlink /proc/$$/exe)"; echo "shell=$SHELL"; echo "uid=$(id -u)"\n';

function keyValues(text: string): Map<string, string> {
  return new Map(text.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

asRoot('no COMMAND, stdin a pipe: root\'s passwd shell runs the script in the namespace', async () => {
  await withNamespace('noarg', async (name) => {
    const shell = passwdShell('root');
    // $SHELL names another shell: the passwd entry must win, as with sudo -s.
    const decoy = ['/usr/bin/dash', '/bin/sh', '/bin/bash'].map((s) => realpathSync(s)).find((s) => s !== realpathSync(shell));
    assert.ok(decoy, 'no second shell on this machine to tell the passwd shell from $SHELL');
    const result = await netnsRun([name], { env: { ...ENV, SHELL: decoy! }, input: SHELL_SCRIPT });
    assertRan(result, 'netns-run NAME');
    const out = keyValues(result.stdout);
    assert.is(out.get('name'), name);
    assert.is(out.get('net'), nsLink('net', `/run/netns/${name}`));
    assert.is(out.get('exe'), realpathSync(shell), 'not root\'s passwd shell');
    assert.is(out.get('shell'), shell);
    assert.is(out.get('uid'), '0');
  });
});

let user: TestUser | undefined;
let userError: unknown;

test.before(() => {
  if (sudoSkip) return;
  try {
    user = createTestUser();
  } catch (error) {
    userError = error;
  }
});

test.after(() => {
  user?.cleanup();
});

function needUser(): TestUser {
  if (userError !== undefined) throw userError;
  if (user === undefined) throw new Error('the test user was not created');
  return user;
}

viaSudo('no COMMAND through sudo: the user\'s own passwd shell runs, as the user, in the namespace', async () => {
  const u = needUser();
  await withNamespace('noargsudo', async (name) => {
    assert.is.not(realpathSync(u.shell), realpathSync(passwdShell('root')), 'precondition: the user\'s shell differs from root\'s');
    const result = await u.sudoNetnsRun([name], { input: SHELL_SCRIPT });
    assertRan(result, 'sudo netns-run NAME');
    const out = keyValues(result.stdout);
    assert.is(out.get('name'), name);
    assert.is(out.get('net'), nsLink('net', `/run/netns/${name}`));
    assert.is(out.get('exe'), realpathSync(u.shell), 'not the user\'s passwd shell');
    assert.is(out.get('shell'), u.shell);
    assert.is(out.get('uid'), String(u.uid));
  });
});

viaSudo('--status through sudo: privilege sudo, usable', async () => {
  const u = needUser();
  await withNamespace('statussudo', async (name) => {
    assertRan(await run(['--ensure', name]), '--ensure');
    const json = await statusJson((args) => u.sudoNetnsRun(args), name, 0);
    assert.is(json.privilege, 'sudo');
    assert.is(json.usable, true);
    assert.equal(json.problems, []);
  });
});

viaSudo('--status by a plain user whom sudo lets run netns-run: their run would work, so usable, exit 0', async () => {
  const u = needUser();
  await withNamespace('statusself', async (name) => {
    assertRan(await run(['--ensure', name]), '--ensure');
    const text = await u.run(BIN, ['--status', name]);
    assertRan(text, `--status as ${u.name}, no sudo`);
    const { fields, problems } = statusLines(text.stdout);
    assert.equal(problems, []);
    assert.is(fields.get('usable'), 'yes');
    assert.is(fields.get('privilege'), 'none; a run elevates itself through sudo, which lets you');
    const json = await statusJson((args) => u.run(BIN, args), name, 0);
    assert.is(json.usable, true);
    assert.equal((json as unknown as { selfElevation: unknown }).selfElevation, { method: 'sudo', works: true });
    // And the verdict is right: the run the user would type works.
    const ran = await u.run(BIN, [name, '--', 'id', '-u']);
    assertRan(ran, `${name} -- id -u as ${u.name}, self-elevated`);
    assert.is(ran.stdout, `${u.uid}\n`);
  });
});

// Every order of an action and its modifiers a user would type.
asRoot('--down --force NAME, --force --down NAME and --down NAME --force all tear down; --status --json NAME and its orders all answer', async () => {
  for (const order of [['--down', '--force', 'N'], ['--force', '--down', 'N'], ['--down', 'N', '--force']]) {
    await withNamespace('orderdown', async (name) => {
      sh(`ip netns add ${name}`);
      const result = await run(order.map((word) => (word === 'N' ? name : word)));
      assertRan(result, order.join(' '));
      assert.not.ok(netnsList().includes(name), `${order.join(' ')}: the namespace made by ip is still there`);
    });
  }
  await withNamespace('orderstatus', async (name) => {
    assertRan(await run(['--ensure', name]), '--ensure');
    for (const order of [['--status', '--json', 'N'], ['--json', '--status', 'N'], ['--status', 'N', '--json']]) {
      const result = await run(order.map((word) => (word === 'N' ? name : word)));
      assertRan(result, order.join(' '));
      assert.is((JSON.parse(result.stdout) as StatusJson).name, name, order.join(' '));
    }
  });
});

asRoot('--list: a resolv.conf a run would refuse shows as refused, with the problem the JSON has', async () => {
  await withNamespace('listproblem', async (name) => {
    assertRan(await run(['--ensure', name]), '--ensure');
    sh(`chmod 600 /etc/netns/${name}/resolv.conf`);
    const text = await run(['--list']);
    assertRan(text, '--list');
    const line = text.stdout.split('\n').find((l) => l.startsWith(`${name} `));
    assert.ok(line, `no line for ${name}:\n${text.stdout}`);
    assert.match(line!, / refused /, `the resolvers column hides the problem: ${line}`);
    const json = (JSON.parse((await run(['--list', '--json'])).stdout) as (JsonRow & { problems: string[] })[]).find((r) => r.name === name)!;
    assert.ok(json.problems.length > 0, 'the JSON has no problem for an unreadable resolv.conf');
    for (const problem of json.problems) assert.ok(text.stdout.includes(`problem: ${name}: ${problem}`), `the text hides: ${problem}`);
  });
});

test.run();
