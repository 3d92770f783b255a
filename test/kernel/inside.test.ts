// [Sysctl], [Nftables], [Hook] and [Nscd] of network.conf against the real
// kernel, nft and unscd: netns-run runs in a network namespace standing in for
// the host (nsenter --net: the same mount namespace, so what it binds under
// /run is real), and every name it makes starts with nri-.
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { assertOneErrorLine, eventually, everythingOf, nsLink, present, removeEverything } from '../support/kernel.js';
import { BIN, isRoot, runProgram, withTestNode, type Result } from '../support/netns-run.js';
import { sandbox, describe } from '../support/sandbox.js';
import { skip, skippable } from '../support/skip.js';

const test = skippable(uvuTest, isRoot ? undefined : 'network.conf tests need root (ip netns add, nft, nscd)');

let counter = 0;
function nriName(tag: string): string {
  counter += 1;
  return `nri-${tag}-${process.pid}-${counter}`;
}

function run(file: string, args: readonly string[]): string {
  const result = spawnSync(file, [...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every process in network namespace NS, killed: an nscd a failed test left would keep it alive. */
function killIn(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone
    }
  }
}

interface Target {
  readonly name: string;
  /** The host stand-in. */
  readonly host: string;
  readonly dir: string;
  /** A scratch directory of the test's (hook logs). */
  readonly scratch: string;
  netnsRun(args: readonly string[]): Promise<Result>;
  write(file: string, text: string, mode?: number): void;
}

/** A host stand-in and /etc/netns-run/NAME with FILES (network.conf, rulesets, hooks); everything removed after BODY. */
async function withTarget(files: (t: Pick<Target, 'name' | 'dir' | 'scratch'>) => Record<string, string | { text: string; mode: number }>, body: (t: Target) => Promise<void>): Promise<void> {
  const name = nriName('t');
  const host = nriName('h');
  const dir = `/etc/netns-run/${name}`;
  const scratch = mkdtempSync('/tmp/nri-');
  chmodSync(scratch, 0o755);
  const write = (file: string, text: string, mode = 0o644) => {
    writeFileSync(`${dir}/${file}`, text, { mode });
    chmodSync(`${dir}/${file}`, mode);
  };
  try {
    run('ip', ['netns', 'add', host]);
    run('ip', ['-n', host, 'link', 'set', 'lo', 'up']);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (const [file, content] of Object.entries(files({ name, dir, scratch }))) {
      if (typeof content === 'string') write(file, content);
      else write(file, content.text, content.mode);
    }
    const netnsRun = (args: readonly string[]) => runProgram('nsenter', [`--net=/run/netns/${host}`, '--', BIN, ...args], { env: withTestNode(), timeoutMs: 60_000 });
    await body({ name, host, dir, scratch, netnsRun, write });
  } finally {
    if (present(`/run/netns/${name}`)) killIn(name);
    removeEverything(name);
    killIn(host);
    spawnSync('ip', ['netns', 'delete', host]);
    rmSync(dir, { recursive: true, force: true });
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

function assertOk(result: Result, what: string): void {
  assert.is(result.code, 0, `${what}: exit ${result.code}, stderr: ${result.stderr}`);
}

/** Nothing of NAME is left: no namespace, no state, no mount. */
function assertNothingOf(name: string, what: string): void {
  assert.equal(everythingOf(name).filter((path) => !path.startsWith('/etc/netns/')), [], `${what}: left behind`);
}

function readIn(ns: string, file: string): string {
  return run('nsenter', [`--net=/run/netns/${ns}`, '--', 'cat', file]).trim();
}

// An unprivileged ICMP socket: what plain ping opens; ping_group_range decides.
// perl, not python: perl-base is Essential on Debian, python3 is not on every machine.
const ICMP_AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/perl', '-e',
  'use Socket; if (socket(my $s, PF_INET, SOCK_DGRAM, 1)) { print "icmp ok\n" } else { print "icmp ", $!+0, "\n" }'];

test('[Sysctl] is applied inside only; unknown and host-only keys are ignored with a note; unprivileged ping works by default', async () => {
  const hostRmem = readFileSync('/proc/sys/net/core/rmem_max', 'utf8');
  const hostForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  await withTarget(() => ({
    'network.conf': '[Sysctl]\nnet.ipv4.ip_forward = 1\nnet.ipv6.conf.all.forwarding = 1\nnet.core.rmem_max = 4096\nnet.ipv4.nri_no_such_key = 1\n',
  }), async (t) => {
    const result = await t.netnsRun([t.name, '--', 'sh', '-c', 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding /proc/sys/net/ipv4/ping_group_range; "$@"', 'sh', ...ICMP_AS_NOBODY]);
    assertOk(result, 'first use');
    assert.equal(result.stdout.split('\n'), ['1', '1', '0\t2147483647', 'icmp ok', '']);
    assert.match(result.stderr, `${t.dir}/network.conf:4: net.core.rmem_max is not a setting of a network namespace here; ignored`);
    assert.match(result.stderr, `${t.dir}/network.conf:5: net.ipv4.nri_no_such_key is not a setting of a network namespace here; ignored`);
    // The host stand-in and the real host keep their values.
    assert.is(readIn(t.host, '/proc/sys/net/ipv4/ip_forward'), '0');
    assert.is(readIn(t.host, '/proc/sys/net/ipv4/ping_group_range'), '1\t0', 'a new namespace refuses unprivileged ICMP: the default is what opens it');
    assert.is(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'), hostRmem);
    assert.is(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), hostForward);
    const inHost = spawnSync('nsenter', [`--net=/run/netns/${t.host}`, '--', ...ICMP_AS_NOBODY], { encoding: 'utf8' });
    assert.is(inHost.stdout.trim(), 'icmp 13', 'the same socket is refused (EACCES) where the default is not applied');
    const status = await t.netnsRun(['--status', t.name]);
    assert.match(status.stdout, /sysctl: +net\.ipv4\.ping_group_range=0 2147483647, net\.ipv4\.ip_forward=1, net\.ipv6\.conf\.all\.forwarding=1; ignored \(not in a namespace\): net\.core\.rmem_max, net\.ipv4\.nri_no_such_key\n/);
    const json = JSON.parse((await t.netnsRun(['--status', '--json', t.name])).stdout) as { inside?: { sysctl: { key: string; state: string }[] } };
    assert.equal(json.inside?.sysctl.map((s) => `${s.key} ${s.state}`), ['net.ipv4.ping_group_range set', 'net.ipv4.ip_forward set', 'net.ipv6.conf.all.forwarding set', 'net.core.rmem_max ignored', 'net.ipv4.nri_no_such_key ignored']);
  });
});

test('[Sysctl] may take the default back; a value the kernel refuses fails with FILE:LINE and makes nothing', async () => {
  await withTarget(() => ({ 'network.conf': '[Sysctl]\nnet.ipv4.ping_group_range = 1 0\n' }), async (t) => {
    const result = await t.netnsRun([t.name, '--', ...ICMP_AS_NOBODY]);
    assertOk(result, 'ping_group_range = 1 0');
    assert.is(result.stdout.trim(), 'icmp 13');
    t.write('network.conf', '[Sysctl]\nnet.ipv4.ip_forward = banana\n');
    assertOk(await t.netnsRun(['--down', t.name]), '--down');
    const refused = await t.netnsRun([t.name, '--', 'true']);
    assertOneErrorLine(refused, 125, 'a value the kernel refuses');
    assert.match(refused.stderr, `${t.dir}/network.conf:2: setting net.ipv4.ip_forward = banana in ${t.name} failed`);
    assertNothingOf(t.name, 'a refused value');
  });
});

test('a malformed network.conf makes nothing: one FILE:LINE line', async () => {
  await withTarget(() => ({ 'network.conf': '[Sysctl]\nnet.ipv4.ip_forward = 1\n[Hook]\nWhen = up\nExec = relative/path\n' }), async (t) => {
    const result = await t.netnsRun([t.name, '--', 'true']);
    assertOneErrorLine(result, 125, 'a relative hook');
    assert.match(result.stderr, `netns-run: ${t.dir}/network.conf:5: Exec= must start with the absolute path`);
    assertNothingOf(t.name, 'a malformed file');
  });
});

const RULESET = (port: number) => `# a kill switch for one port, over several lines (nft 1.0.6 refuses "; } }" on one line)
table inet nri {
  chain out {
    type filter hook output priority 0; policy accept;
    ip daddr 127.0.0.2 tcp dport ${port} reject with icmpx type admin-prohibited
  }
}
`;

/** How a TCP connect to 127.0.0.2:PORT ends inside NAME: ECONNREFUSED (nothing listens) or EHOSTUNREACH (the ruleset). */
const CONNECTS = ['node', '-e', `const net = require('node:net');
let left = 2;
for (const port of [9, 10]) net.connect(port, '127.0.0.2').on('error', (e) => { console.log(port + ' ' + e.code); if (--left === 0) process.exit(0); });`];

function tablesIn(name: string): string[] {
  const listed = JSON.parse(run('ip', ['netns', 'exec', name, 'nft', '-j', 'list', 'ruleset'])) as { nftables: Record<string, { family?: string; name?: string }>[] };
  return listed.nftables.flatMap((item) => Object.entries(item).filter(([kind]) => kind === 'table' || kind === 'rule').map(([kind, value]) => `${kind} ${value.family} ${kind === 'table' ? value.name : ''}`.trim()));
}

test('[Nftables] is loaded inside before the command runs and blocks what it should; --ensure after an edit replaces it, never doubles it', async () => {
  await withTarget(() => ({ 'network.conf': '[Nftables]\nFile = killswitch.nft\n', 'killswitch.nft': RULESET(9) }), async (t) => {
    const first = await t.netnsRun([t.name, '--', ...CONNECTS]);
    assertOk(first, 'first use');
    assert.equal(first.stdout.trim().split('\n').sort(), ['10 ECONNREFUSED', '9 EHOSTUNREACH']);
    assert.equal(tablesIn(t.name), ['table inet nri', 'rule inet']);
    assert.equal(tablesIn(t.host), [], 'the host stand-in has no ruleset of it');
    t.write('killswitch.nft', RULESET(10));
    const ensured = await t.netnsRun(['--ensure', t.name]);
    assertOk(ensured, '--ensure after an edit of the ruleset alone');
    assert.match(ensured.stderr, 'network.conf: applied');
    const second = await t.netnsRun([t.name, '--', ...CONNECTS]);
    assert.equal(second.stdout.trim().split('\n').sort(), ['10 EHOSTUNREACH', '9 ECONNREFUSED']);
    assert.equal(tablesIn(t.name), ['table inet nri', 'rule inet'], 'one table, one rule: the old one is gone');
    const status = await t.netnsRun(['--status', t.name]);
    assert.match(status.stdout, `nftables:      ${t.dir}/killswitch.nft loaded: table inet nri\n`);
  });
});

test('[Nftables]: a ruleset nft refuses, a missing one or one others may change make nothing', async () => {
  await withTarget(() => ({ 'network.conf': '[Nftables]\nFile = bad.nft\n', 'bad.nft': 'table inet nri {\n  chain out {\n    type filter hook output priority 0;\n    bogus statement\n  }\n}\n' }), async (t) => {
    const bad = await t.netnsRun([t.name, '--', 'true']);
    assertOneErrorLine(bad, 125, 'a ruleset nft refuses');
    assert.match(bad.stderr, `netns-run: ${t.dir}/bad.nft: nft refused the ruleset: ${t.dir}/bad.nft:4:`);
    assertNothingOf(t.name, 'a bad ruleset');
    t.write('bad.nft', RULESET(9), 0o666);
    const writable = await t.netnsRun([t.name, '--', 'true']);
    assertOneErrorLine(writable, 125, 'a ruleset others may change');
    assert.match(writable.stderr, `${t.dir}/bad.nft must be owned by root and writable by no one else`);
    assertNothingOf(t.name, 'an untrusted ruleset');
    rmSync(`${t.dir}/bad.nft`);
    const missing = await t.netnsRun([t.name, '--', 'true']);
    assertOneErrorLine(missing, 125, 'a missing ruleset');
    assert.match(missing.stderr, `${t.dir}/network.conf:2: the ruleset ${t.dir}/bad.nft does not exist`);
    assertNothingOf(t.name, 'a missing ruleset');
  });
});

test('network.conf itself that others may change, or owned by another user, makes nothing', async () => {
  await withTarget(() => ({ 'network.conf': { text: '[Sysctl]\nnet.ipv4.ip_forward = 1\n', mode: 0o664 } }), async (t) => {
    const writable = await t.netnsRun([t.name, '--', 'true']);
    assertOneErrorLine(writable, 125, 'a network.conf its group may change');
    assert.match(writable.stderr, `${t.dir}/network.conf must be owned by root and writable by no one else`);
    assertNothingOf(t.name, 'an untrusted network.conf');
    chmodSync(`${t.dir}/network.conf`, 0o644);
    chownSync(`${t.dir}/network.conf`, 65534, 0);
    const foreign = await t.netnsRun([t.name, '--', 'true']);
    assertOneErrorLine(foreign, 125, "a network.conf owned by nobody");
    assert.match(foreign.stderr, `${t.dir}/network.conf must be owned by root and writable by no one else`);
    assertNothingOf(t.name, "nobody's network.conf");
  });
});

/** A hook that logs "TAG NETNS-LINK CWD [INTERFACES] ENV-NAMES" to LOG, then exits with STATUS. */
const HOOK = `#!/bin/sh
log=$1 tag=$2 status=\${3:-0}
echo "$tag $(readlink /proc/self/ns/net) $(pwd) [$(printf '%s\\n' $NETNS_RUN_INTERFACES | sort | tr '\\n' ' ')] $NETNS_RUN_NAME $NETNS_RUN_HOOK $(env | cut -d= -f1 | sort | tr '\\n' ' ')" >> "$log"
exit "$status"
`;

function hookConf(dir: string, log: string, hooks: readonly string[]): string {
  return hooks.map((spec) => {
    const [when, where, tag, status] = spec.split(' ');
    return `[Hook]\nWhen = ${when}\nWhere = ${where}\nExec = ${dir}/hook ${log} ${tag}${status !== undefined ? ` ${status}` : ''}\n`;
  }).join('');
}

function logLines(log: string): string[] {
  return present(log) ? readFileSync(log, 'utf8').split('\n').map((line) => line.trimEnd()).filter(Boolean) : [];
}

test('[Hook]: up host then inside, down inside then host, clean environment, in the right namespaces', async () => {
  await withTarget(({ dir, scratch }) => ({
    'network.conf': hookConf(dir, `${scratch}/log`, ['up inside C', 'down host E', 'up host A', 'down inside D', 'up host B']),
    hook: { text: HOOK, mode: 0o755 },
  }), async (t) => {
    const log = `${t.scratch}/log`;
    assertOk(await t.netnsRun([t.name, '--', 'true']), 'first use');
    const hostNet = nsLink('net', `/run/netns/${t.host}`);
    const targetNet = nsLink('net', `/run/netns/${t.name}`);
    const env = 'LC_ALL NETNS_RUN_HOOK NETNS_RUN_INTERFACES NETNS_RUN_NAME PATH PWD';
    assert.equal(logLines(log), [
      `A ${hostNet} / [ ] ${t.name} up ${env}`,
      `B ${hostNet} / [ ] ${t.name} up ${env}`,
      `C ${targetNet} / [ ] ${t.name} up ${env}`,
    ]);
    // A second run runs no hook: the namespace is up already.
    assertOk(await t.netnsRun([t.name, '--', 'true']), 'second run');
    assert.is(logLines(log).length, 3);
    const status = await t.netnsRun(['--status', t.name]);
    assert.match(status.stdout, `down hooks:    inside ${t.dir}/hook, host ${t.dir}/hook\n`);
    // The interfaces the namespace has when it goes down.
    run('ip', ['-n', t.name, 'link', 'add', 'nri-a0', 'type', 'veth', 'peer', 'name', 'nri-b0']);
    assertOk(await t.netnsRun(['--down', t.name]), '--down');
    assert.equal(logLines(log).slice(3), [
      `D ${targetNet} / [nri-a0 nri-b0 ] ${t.name} down ${env}`,
      `E ${hostNet} / [nri-a0 nri-b0 ] ${t.name} down ${env}`,
    ]);
    assertNothingOf(t.name, '--down');
  });
});

test('[Hook]: a failing up hook rolls everything back (the down hooks run), naming the hook and its status; a failing down hook is a note', async () => {
  await withTarget(({ dir, scratch }) => ({
    'network.conf': hookConf(dir, `${scratch}/log`, ['up host A', 'up host B 3', 'up inside C', 'down host E']),
    hook: { text: HOOK, mode: 0o755 },
  }), async (t) => {
    const log = `${t.scratch}/log`;
    const result = await t.netnsRun([t.name, '--', 'true']);
    assertOneErrorLine(result, 125, 'a failing up hook');
    assert.match(result.stderr, `netns-run: the up hook ${t.dir}/hook (host, ${t.dir}/network.conf:5) failed: exited with status 3; what this call made of ${t.name} is taken back`);
    assert.equal(logLines(log).map((line) => line.split(' ')[0]), ['A', 'B', 'E'], 'C never ran; the down hook did, in the rollback');
    assertNothingOf(t.name, 'a failing up hook');
    t.write('network.conf', hookConf(t.dir, log, ['up host A', 'down inside D 4', 'down host E']));
    rmSync(log);
    assertOk(await t.netnsRun([t.name, '--', 'true']), 'up');
    const down = await t.netnsRun(['--down', t.name]);
    assertOk(down, '--down with a failing down hook');
    assert.match(down.stderr, `the down hook ${t.dir}/hook (inside, ${t.dir}/network.conf:5) failed: exited with status 4; going on`);
    assert.equal(logLines(log).map((line) => line.split(' ')[0]), ['A', 'D', 'E']);
    assertNothingOf(t.name, '--down after a failing down hook');
  });
});

test('[Hook]: a hook others may change, or in a directory others may change, is refused before anything is made; a hook over its time is stopped', async () => {
  await withTarget(({ dir, scratch }) => ({
    'network.conf': hookConf(dir, `${scratch}/log`, ['up host A']),
    hook: { text: HOOK, mode: 0o757 },
  }), async (t) => {
    const log = `${t.scratch}/log`;
    const writable = await t.netnsRun([t.name, '--', 'true']);
    assertOneErrorLine(writable, 125, 'a hook others may change');
    assert.match(writable.stderr, `netns-run: ${t.dir}/network.conf:1: the hook ${t.dir}/hook must be owned by root and writable by no one else`);
    assert.equal(logLines(log), [], 'it never ran');
    assertNothingOf(t.name, 'an untrusted hook');
    // The same file, in a directory anyone may write to.
    writeFileSync(`${t.scratch}/hook`, HOOK, { mode: 0o755 });
    chmodSync(t.scratch, 0o1777);
    t.write('network.conf', `[Hook]\nWhen = up\nExec = ${t.scratch}/hook ${log} A\n`);
    const inTmp = await t.netnsRun([t.name, '--', 'true']);
    assertOneErrorLine(inTmp, 125, 'a hook in a directory others may change');
    assert.match(inTmp.stderr, `the hook ${t.scratch}/hook is in a directory that is a symbolic link or that someone other than root can change`);
    assert.equal(logLines(log), [], 'it never ran');
    chmodSync(t.scratch, 0o755);
    // A child of the hook's own, apart from its standard streams, as a daemon would be: stopped with the hook.
    t.write('hook', HOOK.replace('exit "$status"', 'sleep 300 </dev/null >/dev/null 2>&1 &\necho $! > "$log.child"\nsleep 20'), 0o755);
    t.write('network.conf', `[Hook]\nWhen = up\nExec = ${t.dir}/hook ${log} A\nTimeout = 1\n`);
    const started = Date.now();
    const slow = await t.netnsRun([t.name, '--', 'true']);
    assertOneErrorLine(slow, 125, 'a hook over its time');
    assert.match(slow.stderr, 'failed: timed out after 1 s');
    assert.ok(Date.now() - started < 15_000, 'not waited for');
    const child = Number(readFileSync(`${log}.child`, 'utf8'));
    assert.ok(child > 0, 'the hook started its child');
    const stopped = await eventually(() => !alive(child), 3_000);
    if (!stopped) process.kill(child, 'SIGKILL');
    assert.ok(stopped, `the hook's child ${child} outlived it`);
    assertNothingOf(t.name, 'a hook over its time');
  });
});

function nscdRecord(name: string): { pid: number } {
  return JSON.parse(readFileSync(`/run/netns-run/${name}/network/nscd.json`, 'utf8')) as { pid: number };
}

test('[Nscd]: an nscd of the namespace answers passwd lookups inside, host lookups stay inside, --down stops it', async () => {
  if (!present('/usr/sbin/nscd')) skip('no nscd here: install unscd (Debian), as .ci/run does');
  await withTarget(() => ({ 'network.conf': '[Nscd]\nEnable = yes\n' }), async (t) => {
    mkdirSync(`/etc/netns/${t.name}`, { recursive: true, mode: 0o755 });
    writeFileSync(`/etc/netns/${t.name}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n', { mode: 0o644 });
    const capture = `${t.scratch}/dns`;
    const trace = `${t.scratch}/trace`;
    // A name server inside the namespace that records the first query it gets.
    const script = `socat -u UDP4-RECVFROM:53,bind=127.0.0.1 OPEN:${capture},creat & sleep 0.3
strace -f -e trace=connect -o ${trace} getent passwd root
getent hosts nri-probe.invalid; echo "hosts $?"
stat -L -c %i /run/nscd/socket
wait`;
    const result = await t.netnsRun([t.name, '--', 'sh', '-c', script]);
    assertOk(result, 'lookups inside');
    const [passwd, hosts, socketInode] = result.stdout.trim().split('\n');
    assert.match(passwd!, /^root:x:0:0:/);
    assert.match(readFileSync(trace, 'utf8'), /connect\(\d+, \{sa_family=AF_UNIX, sun_path="\/var\/run\/nscd\/socket"\}, \d+\) = 0/, 'getent asked an nscd');
    assert.is(hosts, 'hosts 2', 'the name is not known');
    assert.match(readFileSync(capture, 'latin1'), /nri-probe/, 'the host lookup reached the name server inside the namespace');
    // The socket it asked is the namespace's nscd's, in NAME's state directory.
    assert.is(socketInode, String(statSync(`/run/netns-run/${t.name}/nscd/socket`).ino));
    const { pid } = nscdRecord(t.name);
    assert.ok(alive(pid), 'nscd runs');
    assert.is(run('readlink', [`/proc/${pid}/ns/net`]).trim(), nsLink('net', `/run/netns/${t.name}`), 'nscd is in the namespace');
    assert.is(run('readlink', [`/proc/${pid}/ns/mnt`]).trim(), nsLink('mnt', `/run/netns-run/${t.name}/mntns`), 'nscd is in the kept mount namespace');
    const status = await t.netnsRun(['--status', t.name]);
    assert.match(status.stdout, `nscd:          /usr/sbin/nscd running (PID ${pid})\n`);
    // Killed: --status says so, and the next run starts it again, from its record, with its socket where lookups go.
    process.kill(pid, 'SIGKILL');
    assert.ok(await eventually(() => !alive(pid), 5_000), 'nscd killed');
    const dead = await t.netnsRun(['--status', t.name]);
    assert.match(dead.stdout, `nscd:          /usr/sbin/nscd is not running (PID ${pid} ended); the next run or --ensure starts it again\n`);
    const again = await t.netnsRun([t.name, '--', 'getent', 'passwd', 'root']);
    assertOk(again, 'a run after nscd died');
    const second = nscdRecord(t.name).pid;
    assert.ok(second !== pid && alive(second), 'a new nscd runs');
    assert.is(run('readlink', [`/proc/${second}/ns/mnt`]).trim(), nsLink('mnt', `/run/netns-run/${t.name}/mntns`), 'the new nscd is in the kept mount namespace');
    assert.ok(lstatSync(`/run/netns-run/${t.name}/nscd/socket`).isSocket(), 'its socket is where lookups inside go');
    assertOk(await t.netnsRun(['--down', t.name]), '--down');
    assert.ok(await eventually(() => !alive(second), 5_000), 'nscd ended with --down');
    assertNothingOf(t.name, '--down');
  });
});

test('[Nscd]: --down signals only the very nscd it started, never a process that took its PID or another program', async () => {
  await withTarget(() => ({ 'network.conf': '[Nscd]\n' }), async (t) => {
    assertOk(await t.netnsRun([t.name, '--', 'true']), 'first use');
    const real = nscdRecord(t.name).pid;
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const stat = readFileSync(`/proc/${bystander.pid}/stat`, 'utf8');
      const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      // The record now names the bystander, with its own start time: only the program tells them apart.
      writeFileSync(`/run/netns-run/${t.name}/network/nscd.json`, JSON.stringify({ program: '/usr/sbin/nscd', pid: bystander.pid, startTime }));
      assertOk(await t.netnsRun(['--down', t.name]), '--down');
      assert.ok(alive(bystander.pid!), 'the bystander was signalled');
    } finally {
      bystander.kill('SIGKILL');
      try {
        process.kill(real, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
});

test('--ensure after an edit: down hooks, nscd stopped, then the new file applied: nscd started again, up hooks', async () => {
  await withTarget(({ dir, scratch }) => ({
    'network.conf': `[Nscd]\n${hookConf(dir, `${scratch}/log`, ['up host A', 'down host Z'])}`,
    hook: { text: HOOK, mode: 0o755 },
  }), async (t) => {
    const log = `${t.scratch}/log`;
    assertOk(await t.netnsRun([t.name, '--', 'true']), 'first use');
    const first = nscdRecord(t.name).pid;
    t.write('network.conf', `[Nscd]\n[Sysctl]\nnet.ipv4.ip_forward = 1\n${hookConf(t.dir, log, ['up host B', 'down host Y'])}`);
    const ensured = await t.netnsRun(['--ensure', t.name]);
    assertOk(ensured, '--ensure after an edit');
    assert.equal(logLines(log).map((line) => line.split(' ')[0]), ['A', 'Z', 'B'], 'the old down hook, then the new up hook');
    assert.ok(await eventually(() => !alive(first), 5_000), 'the old nscd ended');
    const second = nscdRecord(t.name).pid;
    assert.ok(second !== first && alive(second), 'a new nscd runs');
    assert.is(readIn(t.name, '/proc/sys/net/ipv4/ip_forward'), '1');
    assertOk(await t.netnsRun(['--down', t.name]), '--down');
    assert.equal(logLines(log).map((line) => line.split(' ')[0]), ['A', 'Z', 'B', 'Y']);
    assert.ok(await eventually(() => !alive(second), 5_000), 'nscd ended with --down');
    assertNothingOf(t.name, '--down');
  });
});

test('[Nscd]: a missing program makes nothing', async () => {
  await withTarget(() => ({ 'network.conf': '[Nscd]\nProgram = /usr/sbin/nri-no-nscd\n' }), async (t) => {
    const result = await t.netnsRun([t.name, '--', 'true']);
    assertOneErrorLine(result, 125, 'a missing nscd');
    assert.match(result.stderr, `${t.dir}/network.conf:1: the nscd program /usr/sbin/nri-no-nscd does not exist; install unscd`);
    assertNothingOf(t.name, 'a missing nscd');
  });
});

test('systemd-resolved\'s sockets are hidden inside where the host has them, and never made where it has none', async () => {
  const name = nriName('r');
  try {
    const result = await sandbox(`mount -t tmpfs nri /run/systemd
mkdir /run/systemd/resolve
echo from-the-host >/run/systemd/answer
socat -u OPEN:/run/systemd/answer UNIX-LISTEN:/run/systemd/resolve/io.systemd.Resolve </dev/null >/dev/null 2>&1 & listener=$!; sleep 0.3
section host; socat -u UNIX-CONNECT:/run/systemd/resolve/io.systemd.Resolve - 2>&1
section inside; netns_run ${name} -- sh -c 'ls -A /run/systemd/resolve; socat -u UNIX-CONNECT:/run/systemd/resolve/io.systemd.Resolve - 2>&1 | grep -c from-the-host'
netns_run --down ${name}
# One connection (the host's), answered from a file by socat itself: no child process that, orphaned, PID 1 might never reap.
wait $listener || true
umount /run/systemd; mount -t tmpfs nri /run/systemd
section without; netns_run ${name} -- sh -c 'test -e /run/systemd/resolve && echo present || echo absent'
section host-after; test -e /run/systemd/resolve && echo present || echo absent
netns_run --down ${name}
`);
    assert.is(result.code, 0, describe(result));
    assert.is(result.sections.host, 'from-the-host\n', 'precondition: the host\'s resolved answers');
    assert.is(result.sections.inside, '0\n', `inside: nothing there, no answer: ${describe(result)}`);
    assert.is(result.sections.without, 'absent\n');
    assert.is(result.sections['host-after'], 'absent\n', 'never made in the host');
  } finally {
    removeEverything(name);
  }
});

test.run();
