// The links of network.conf against the real kernel: netns-run runs in a
// namespace standing in for the host (support/world.ts), so the host ends,
// the NAT table and the forwarding switches it makes are that stand-in's and
// can be checked and cleaned up; the "internet" and every other namespace
// are the test's own, and no packet leaves them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertOneErrorLine, eventually, removeEverything } from '../support/kernel.js';
import { BIN, isRoot, runProgram, skipReason, trySh, withTestNode, type Result } from '../support/netns-run.js';
import { suspendGrant, type Attacker } from '../support/attack.js';
import { grant } from '../support/policy.js';
import { skip, skippable } from '../support/skip.js';
import { cleanEnv, createTestUser, sudoMissing } from '../support/user.js';
import { HOST_ADDRESS, makeWorld, run, WEB, type World } from '../support/world.js';

let counter = 0;
/** nrl-TAG-PID-N, at most 15 characters where it names an interface too. */
function name(tag: string): string {
  counter += 1;
  return `nrl-${tag}${process.pid % 10000}${counter}`;
}

function assertRanOk(result: Result, what: string): void {
  assert.is(result.code, 0, `${what}: exit ${result.code}, stderr: ${result.stderr}`);
}

function linksIn(ns: string): string[] {
  return (JSON.parse(run('ip', ['-n', ns, '-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname).sort();
}

/** What the host stand-in has that netns-run may change: links, nftables tables, forwarding switches. */
function hostState(world: World): { links: string[]; tables: string; forwarding: Record<string, string> } {
  const inHost = (command: string) => run('nsenter', [`--net=/run/netns/${world.host}`, '--', 'sh', '-c', command]).trim();
  const forwarding: Record<string, string> = {};
  for (const key of ['ipv4/conf/all', 'ipv4/conf/default', 'ipv4/conf/nrwh0', 'ipv6/conf/all']) forwarding[key] = inHost(`cat /proc/sys/net/${key}/forwarding`);
  return { links: world.hostLinks(), tables: inHost('nft list tables'), forwarding };
}

/** A tiny web server in NS at ADDRESS:PORT answering with the client's address. */
async function webServer(ns: string, address: string, port: number): Promise<ChildProcess> {
  const code = `require('node:http').createServer((q, s) => s.end(q.socket.remoteAddress + '\\n')).listen(${port}, ${JSON.stringify(address)}, () => process.stdout.write('ready\\n'));`;
  const child = spawn('nsenter', [`--net=/run/netns/${ns}`, '--', process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  assert.ok(await eventually(() => out.includes('ready'), 5_000), `web server in ${ns} did not start`);
  return child;
}

const hasDummy = () => spawnSync('unshare', ['--net', '--', 'ip', 'link', 'add', 'nrl-probe', 'type', 'dummy'], { stdio: 'ignore' }).status === 0;

const missing = ['nft', 'curl'].filter((tool) => trySh(`command -v ${tool}`).status !== 0);
if (!isRoot) {
  skipReason('link tests need root (namespaces, veth, nftables)');
  test.skip('network.conf links (needs root)', () => {});
} else if (missing.length > 0) {
  skipReason(`${missing.join(', ')} not installed (Debian: nftables, curl)`);
  test.skip('network.conf links (tools missing)', () => {});
} else {
  let world: World;
  let before: ReturnType<typeof hostState>;
  const extra: string[] = [];
  test.before(async () => {
    world = await makeWorld();
    before = hostState(world);
  });
  test.after(() => {
    world?.close();
    for (const ns of extra) spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
  });

  /** netns-run itself, run in the host stand-in as a user runs it on the host. */
  function netnsRunInHost(args: readonly string[]): Promise<Result> {
    return runProgram('nsenter', [`--net=/run/netns/${world.host}`, '--', BIN, ...args], { env: withTestNode(), timeoutMs: 60_000 });
  }

  /** NAME with /etc/netns-run/NAME/network.conf holding TEXT; --down and every trace removed after BODY, also on failure. */
  async function withConf(text: string, body: (ns: string) => Promise<void>): Promise<void> {
    const ns = name('n');
    const dir = `/etc/netns-run/${ns}`;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      writeFileSync(`${dir}/network.conf`, text, { mode: 0o644 });
      await body(ns);
    } finally {
      await netnsRunInHost(['--down', ns]);
      removeEverything(ns);
      rmSync(dir, { recursive: true, force: true });
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  }

  /** A namespace of the test's own, deleted after the file. */
  function otherNamespace(tag: string): string {
    const ns = name(tag);
    run('ip', ['netns', 'add', ns]);
    extra.push(ns);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  const test2 = skippable(test);

  test('a masqueraded veth to the host: curl reaches the internet\'s web server, which sees the host\'s address; --down leaves the host as it was', async () => {
    const peer = name('h');
    await withConf([
      '[Veth]',
      'Name = ve0',
      `PeerName = ${peer}`,
      'Address = 10.250.0.2/24',
      'Address = fd25::2/64',
      'PeerAddress = 10.250.0.1/24',
      'PeerAddress = fd25::1/64',
      'MTU = 1400',
      'PeerMACAddress = 02:25:00:00:00:01',
      'DefaultRoute = yes',
      'Masquerade = yes',
      '',
    ].join('\n'), async (ns) => {
      assert.is(before.forwarding['ipv4/conf/nrwh0'], '0', 'the stand-in\'s uplink starts with forwarding off');
      const curl = await netnsRunInHost([ns, '--', 'curl', '-sS', '--max-time', '10', `http://${WEB}/`]);
      assertRanOk(curl, 'curl through the veth');
      assert.is(curl.stdout.trim(), HOST_ADDRESS, 'the web server did not see the host\'s address: no masquerade');
      const during = hostState(world);
      assert.equal(during.links, [...before.links, peer].sort());
      assert.match(during.tables, new RegExp(`table inet netns-run-${ns.replace(/\./g, '\\.')}`));
      assert.is(during.forwarding['ipv4/conf/nrwh0'], '1', 'the uplink needs forwarding for the replies');
      // Per interface only: never the host-wide switches.
      assert.is(during.forwarding['ipv4/conf/all'], before.forwarding['ipv4/conf/all']);
      assert.is(during.forwarding['ipv4/conf/default'], before.forwarding['ipv4/conf/default']);
      assert.is(during.forwarding['ipv6/conf/all'], before.forwarding['ipv6/conf/all']);
      // Inside: the file's addresses (v6 usable at once, no DAD), MTU, routes through the host end.
      const view = await netnsRunInHost([ns, '--', 'sh', '-c', 'cat /sys/class/net/ve0/mtu; ip -6 route show default; ip -4 route show default; ip -6 addr show dev ve0 scope global tentative']);
      assertRanOk(view, 'looking inside');
      const [mtu, v6route, v4route, tentative] = view.stdout.split('\n');
      assert.is(mtu, '1400');
      assert.match(v6route!, /^default via fd25::1 dev ve0/);
      assert.match(v4route!, /^default via 10\.250\.0\.1 dev ve0/);
      assert.is(tentative ?? '', '', 'an IPv6 address waits for duplicate address detection');
      assert.match(run('ip', ['-n', world.host, 'link', 'show', 'dev', peer]), /02:25:00:00:00:01/);
      const status = await netnsRunInHost(['--status', ns]);
      assertRanOk(status, '--status');
      assert.match(status.stdout, new RegExp(`link: +ve0: veth, host end ${peer}; made`));
      assert.match(status.stdout, /nat: +table inet netns-run-/);
      const json = await netnsRunInHost(['--status', ns, '--json']);
      assertRanOk(json, '--status --json');
      const report = JSON.parse(json.stdout) as { links: { links: { name: string; peer: string; state: string }[] } };
      assert.equal(report.links.links, [{ name: 've0', kind: 'veth', peer, state: 'made' }]);
      assertRanOk(await netnsRunInHost(['--down', ns]), '--down');
      assert.equal(hostState(world), before, 'the host stand-in is not as it was');
    });
  });

  test('a veth to another namespace: both ends addressed, a request goes across; --down leaves the other namespace with lo alone', async () => {
    const other = otherNamespace('o');
    await withConf(['[Veth]', 'Name=to-o', `PeerNamespace=${other}`, 'PeerName=to-n', 'Address=10.252.0.1/30', 'PeerAddress=10.252.0.2/30', ''].join('\n'), async (ns) => {
      assertRanOk(await netnsRunInHost([ns, '--', 'true']), 'first use');
      const server = await webServer(other, '10.252.0.2', 8080);
      try {
        const curl = await netnsRunInHost([ns, '--', 'curl', '-sS', '--max-time', '10', 'http://10.252.0.2:8080/']);
        assertRanOk(curl, 'curl across');
        assert.is(curl.stdout.trim(), '10.252.0.1');
      } finally {
        server.kill('SIGKILL');
      }
      assert.equal(linksIn(other), ['lo', 'to-n']);
      assert.equal(hostState(world), before, 'a veth between namespaces touched the host');
      assertRanOk(await netnsRunInHost(['--down', ns]), '--down');
      assert.equal(linksIn(other), ['lo']);
    });
  });

  test('PeerNamespace= naming no namespace: one line, nothing made', async () => {
    await withConf(['[Veth]', 'Name=to-o', 'PeerNamespace=nrl-none', 'PeerName=to-n', ''].join('\n'), async (ns) => {
      const result = await netnsRunInHost([ns, '--', 'true']);
      assertOneErrorLine(result, 125, 'missing PeerNamespace');
      assert.match(result.stderr, /\/run\/netns\/nrl-none is no network namespace \(PeerNamespace= of the \[Veth\] at .*network\.conf:1\); make it first/);
      assert.not.ok(trySh(`ip netns list | grep -qx '${ns}'`).status === 0, 'the namespace was left');
      assert.equal(hostState(world), before);
    });
  });

  test('a macvlan on a veth parent and a veth whose host end joins a bridge: both reach their far side; --down removes only what netns-run made', async () => {
    const far = otherNamespace('f');
    const parent = name('p');
    const farEnd = name('q');
    const bridge = name('b');
    const hostEnd = name('j');
    try {
      run('ip', ['-n', world.host, 'link', 'add', parent, 'type', 'veth', 'peer', 'name', farEnd, 'netns', far]);
      run('ip', ['-n', world.host, 'link', 'set', parent, 'up']);
      run('ip', ['-n', far, 'address', 'add', '10.253.0.1/24', 'dev', farEnd]);
      run('ip', ['-n', far, 'link', 'set', farEnd, 'up']);
      run('ip', ['-n', world.host, 'link', 'add', bridge, 'type', 'bridge']);
      run('ip', ['-n', world.host, 'address', 'add', '10.254.0.1/24', 'dev', bridge]);
      run('ip', ['-n', world.host, 'link', 'set', bridge, 'up']);
      const withTestLinks = hostState(world);
      await withConf([
        '[Macvlan]', 'Name=mv0', `Parent=${parent}`, 'Mode=bridge', 'Address=10.253.0.2/24', '',
        '[Veth]', 'Name=br0', `PeerName=${hostEnd}`, `Bridge=${bridge}`, 'Address=10.254.0.2/24', '',
      ].join('\n'), async (ns) => {
        assertRanOk(await netnsRunInHost([ns, '--', 'true']), 'first use');
        const servers = [await webServer(far, '10.253.0.1', 8080), await webServer(world.host, '10.254.0.1', 8080)];
        try {
          const both = await netnsRunInHost([ns, '--', 'sh', '-c', 'curl -sS --max-time 10 http://10.253.0.1:8080/ && curl -sS --max-time 10 http://10.254.0.1:8080/']);
          assertRanOk(both, 'curl over the macvlan and the bridge');
          assert.equal(both.stdout.trim().split('\n'), ['10.253.0.2', '10.254.0.2']);
        } finally {
          for (const server of servers) server.kill('SIGKILL');
        }
        assert.match(run('ip', ['-n', ns, '-d', 'link', 'show', 'dev', 'mv0']), /macvlan mode bridge/);
        assert.match(run('ip', ['-n', world.host, 'link', 'show', 'dev', hostEnd]), new RegExp(`master ${bridge}`));
        assert.not.ok(world.hostLinks().some((l) => l.startsWith('nrlm-')), 'the macvlan\'s temporary name is left on the host');
        assertRanOk(await netnsRunInHost(['--down', ns]), '--down');
        assert.equal(hostState(world), withTestLinks, 'the host stand-in is not as it was');
      });
    } finally {
      for (const dev of [bridge, parent]) spawnSync('ip', ['-n', world.host, 'link', 'delete', 'dev', dev], { stdio: 'ignore' });
    }
  });

  test('--ensure after an edit takes the old links away and makes the new ones; the file gone, it takes them all away', async () => {
    const [first, second] = [name('e'), name('e')];
    const conf = (peer: string, net: number, masquerade: boolean) => ['[Veth]', 'Name=ve0', `PeerName=${peer}`, `Address=10.250.${net}.2/24`, `PeerAddress=10.250.${net}.1/24`, 'DefaultRoute=yes', ...(masquerade ? ['Masquerade=yes'] : []), ''].join('\n');
    await withConf(conf(first, 20, true), async (ns) => {
      assertRanOk(await netnsRunInHost([ns, '--', 'true']), 'first use');
      assert.ok(world.hostLinks().includes(first));
      writeFileSync(`/etc/netns-run/${ns}/network.conf`, conf(second, 21, false), { mode: 0o644 });
      const ensured = await netnsRunInHost(['--ensure', ns]);
      assertRanOk(ensured, '--ensure after the edit');
      assert.match(ensured.stderr, /network\.conf: applied .* again after an edit/);
      assert.equal(world.hostLinks(), [...before.links, second].sort());
      const state = hostState(world);
      assert.is(state.tables, before.tables, 'the masquerade table outlived the edit that dropped it');
      assert.equal(state.forwarding, before.forwarding, 'a forwarding switch outlived the edit that dropped it');
      const address = await netnsRunInHost([ns, '--', 'ip', '-4', '-br', 'address', 'show', 'dev', 've0']);
      assert.match(address.stdout, /10\.250\.21\.2\/24/);
      rmSync(`/etc/netns-run/${ns}/network.conf`);
      assertRanOk(await netnsRunInHost(['--ensure', ns]), '--ensure after the file went');
      assert.equal(hostState(world), before);
      assert.equal(linksIn(ns), ['lo']);
    });
  });

  const noSudo = sudoMissing();
  if (noSudo !== undefined) skipReason(noSudo);
  (noSudo === undefined ? test : test.skip)('links are making the network: a user who may only use NAME is refused them, one with create gets them', async () => {
    const user = createTestUser();
    const peer = name('u');
    try {
      await withConf(['[Veth]', 'Name=ve0', `PeerName=${peer}`, 'Address=10.250.30.2/24', 'PeerAddress=10.250.30.1/24', ''].join('\n'), async (ns) => {
        // The namespace stands (root made it before the file was written), its links not yet.
        const conf = readFileSync(`/etc/netns-run/${ns}/network.conf`, 'utf8');
        rmSync(`/etc/netns-run/${ns}/network.conf`);
        assertRanOk(await netnsRunInHost([ns, '--', 'true']), 'root makes the namespace, no links');
        writeFileSync(`/etc/netns-run/${ns}/network.conf`, conf, { mode: 0o644 });
        const asUser = () => runProgram('nsenter', [`--net=/run/netns/${world.host}`, '--', trySh('command -v runuser').stdout.trim(), '-u', user.name, '--', 'sudo', '-n', BIN, ns, '--', 'cat', '/sys/class/net/ve0/mtu'], { env: cleanEnv(), cwd: user.home, timeoutMs: 60_000 });
        // Only use: createTestUser's `allow USER * create` is taken out meanwhile.
        const resume = suspendGrant({ user } as unknown as Attacker);
        let revoke = grant(`allow ${user.name} ${ns}`);
        try {
          const refused = await asUser();
          assertOneErrorLine(refused, 125, 'use only');
          assert.match(refused.stderr, `${user.name} may not make the network of namespace ${ns} (its tunnels or links are not up yet)`);
          assert.equal(world.hostLinks(), before.links, 'a host end was made for a user who may only use the namespace');
          assert.equal(linksIn(ns), ['lo']);
        } finally {
          revoke();
          resume();
        }
        revoke = grant(`allow ${user.name} ${ns} create`);
        try {
          const made = await asUser();
          assertRanOk(made, 'with create');
          assert.is(made.stdout.trim(), '1500');
          assert.ok(world.hostLinks().includes(peer));
        } finally {
          revoke();
        }
      });
    } finally {
      user.cleanup();
    }
  });

  test2('a dummy interface with its addresses (where the kernel has the dummy module)', async () => {
    if (!hasDummy()) skip('this kernel has no dummy interfaces (ip link add type dummy: Unknown device type)');
    await withConf(['[Dummy]', 'Name=d0', 'Address=203.0.113.7/32', 'Address=2001:db8::7/128', ''].join('\n'), async (ns) => {
      const view = await netnsRunInHost([ns, '--', 'sh', '-c', 'ip -br addr show dev d0']);
      assertRanOk(view, 'looking inside');
      assert.match(view.stdout, /203\.0\.113\.7\/32/);
      assert.match(view.stdout, /2001:db8::7\/128/);
    });
  });

  test('[Route]: a prefix through a gateway with a metric, and one by device', async () => {
    await withConf([
      '[Veth]', 'Name=ve0', `PeerName=${name('r')}`, 'Address=10.250.1.2/24', 'PeerAddress=10.250.1.1/24', '',
      '[Route]', 'Destination=198.51.100.0/24', 'Gateway=10.250.1.1', 'Metric=50', '',
      '[Route]', 'Destination=192.0.2.0/24', 'Device=ve0', '',
    ].join('\n'), async (ns) => {
      const routes = await netnsRunInHost([ns, '--', 'ip', '-4', 'route', 'show']);
      assertRanOk(routes, 'ip route');
      assert.match(routes.stdout, /^198\.51\.100\.0\/24 via 10\.250\.1\.1 dev ve0 metric 50/m);
      assert.match(routes.stdout, /^192\.0\.2\.0\/24 dev ve0/m);
    });
  });

  test('a malformed file makes nothing: one line with its file:line, no namespace, nothing on the host', async () => {
    await withConf(['[Veth]', 'Name=ve0', 'PeerAddress=10.250.2.1/24', 'Masquerade=yes', 'MTU=huge', ''].join('\n'), async (ns) => {
      const result = await netnsRunInHost([ns, '--', 'true']);
      assertOneErrorLine(result, 125, 'malformed network.conf');
      assert.match(result.stderr, new RegExp(`^netns-run: /etc/netns-run/${ns.replace(/\./g, '\\.')}/network\\.conf:5: MTU must be a whole number`));
      assert.not.ok(trySh(`ip netns list | grep -q '^${ns}\\b'`).status === 0, 'the namespace was made');
      assert.equal(hostState(world), before);
    });
  });

  test('a failure half-way takes back what was made: the masqueraded veth, its NAT table and forwarding, when a route after it is refused', async () => {
    await withConf([
      '[Veth]', 'Name=ve0', `PeerName=${name('h')}`, 'Address=10.250.3.2/24', 'PeerAddress=10.250.3.1/24', 'Masquerade=yes', 'DefaultRoute=yes', '',
      '[Route]', 'Destination=198.51.100.0/24', 'Gateway=10.250.9.9', '',
    ].join('\n'), async (ns) => {
      // The route's gateway is on no link: ip refuses it after the veth, NAT and forwarding were made.
      const result = await netnsRunInHost([ns, '--', 'true']);
      assertOneErrorLine(result, 125, 'unreachable gateway');
      assert.match(result.stderr, /route add 198\.51\.100\.0\/24 via 10\.250\.9\.9/);
      assert.equal(hostState(world), before, 'the host stand-in is not as it was after the rollback');
      assert.not.ok(trySh(`ip netns list | grep -q '^${ns}\\b'`).status === 0, 'the namespace was left');
    });
  });

  test('a missing bridge after a masqueraded veth: one line naming the file and line, and the veth, table and forwarding taken back', async () => {
    await withConf([
      '[Veth]', 'Name=ve0', `PeerName=${name('h')}`, 'Address=10.250.4.2/24', 'PeerAddress=10.250.4.1/24', 'Masquerade=yes', 'DefaultRoute=yes', '',
      '[Veth]', 'Name=ve1', `PeerName=${name('h')}`, 'Bridge=nrl-nobr', '',
    ].join('\n'), async (ns) => {
      const result = await netnsRunInHost([ns, '--', 'true']);
      assertOneErrorLine(result, 125, 'missing bridge');
      assert.match(result.stderr, /the host has no bridge nrl-nobr \(Bridge= of the \[Veth\] at \/etc\/netns-run\/.*\/network\.conf:9\); make it first/);
      assert.equal(hostState(world), before, 'the host stand-in is not as it was after the rollback');
    });
  });

  test('HostIPv6Forwarding=yes switches the host-wide IPv6 forwarding on, and --down puts it back', async () => {
    await withConf(['[Veth]', 'Name=ve0', `PeerName=${name('6')}`, 'Address=fd26::2/64', 'Address=10.250.6.2/24', 'PeerAddress=fd26::1/64', 'PeerAddress=10.250.6.1/24', 'DefaultRoute=yes', 'Masquerade=yes', 'HostIPv6Forwarding=yes', ''].join('\n'), async (ns) => {
      assert.is(before.forwarding['ipv6/conf/all'], '0');
      assertRanOk(await netnsRunInHost([ns, '--', 'true']), 'first use');
      assert.is(hostState(world).forwarding['ipv6/conf/all'], '1');
      assertRanOk(await netnsRunInHost(['--down', ns]), '--down');
      assert.equal(hostState(world), before);
    });
  });

  test('the namespace deleted behind netns-run\'s back: the next run makes it and its links again, one NAT table, and --down still leaves the host as it was', async () => {
    const peer = name('d');
    await withConf(['[Veth]', 'Name=ve0', `PeerName=${peer}`, 'Address=10.250.7.2/24', 'PeerAddress=10.250.7.1/24', 'DefaultRoute=yes', 'Masquerade=yes', ''].join('\n'), async (ns) => {
      assertRanOk(await netnsRunInHost([ns, '--', 'true']), 'first use');
      run('ip', ['netns', 'delete', ns]);
      assert.ok(await eventually(() => !world.hostLinks().includes(peer), 5_000), 'the host end outlived its namespace');
      const curl = await netnsRunInHost([ns, '--', 'curl', '-sS', '--max-time', '10', `http://${WEB}/`]);
      assertRanOk(curl, 'a run after the namespace went');
      assert.is(curl.stdout.trim(), HOST_ADDRESS);
      const tables = hostState(world).tables.split('\n').filter((line) => line.includes('netns-run-'));
      assert.is(tables.length, 1, tables.join('; '));
      assertRanOk(await netnsRunInHost(['--down', ns]), '--down');
      assert.equal(hostState(world), before);
    });
  });

  test('two masquerading namespaces share the uplink: the first --down leaves forwarding on for the second, the last puts it back', async () => {
    const conf = (n: number) => ['[Veth]', 'Name=ve0', `PeerName=${name('s')}`, `Address=10.250.${10 + n}.2/24`, `PeerAddress=10.250.${10 + n}.1/24`, 'Masquerade=yes', 'DefaultRoute=yes', ''].join('\n');
    await withConf(conf(1), async (first) => {
      await withConf(conf(2), async (second) => {
        assertRanOk(await netnsRunInHost([first, '--', 'true']), 'first');
        assertRanOk(await netnsRunInHost([second, '--', 'true']), 'second');
        // The hand-over of the shared switch waits for the host's lock: with it held elsewhere, --down waits too.
        const holder = spawn('flock', ['--exclusive', '--close', '/run/netns-run', 'sleep', '2'], { stdio: 'ignore' });
        const ended = new Promise((resolve) => holder.once('exit', resolve));
        try {
          assert.ok(await eventually(() => spawnSync('flock', ['--exclusive', '--nonblock', '/run/netns-run', 'true']).status === 1, 5_000), 'the test could not take the host lock');
          const started = Date.now();
          assertRanOk(await netnsRunInHost(['--down', first]), '--down first');
          assert.ok(Date.now() - started >= 1_000, `--down handed the uplink's forwarding over without the host's lock (${Date.now() - started} ms)`);
        } finally {
          await ended;
        }
        assert.is(hostState(world).forwarding['ipv4/conf/nrwh0'], '1', 'the second namespace lost its forwarding');
        const curl = await netnsRunInHost([second, '--', 'curl', '-sS', '--max-time', '10', `http://${WEB}/`]);
        assertRanOk(curl, 'curl from the second');
        assert.is(curl.stdout.trim(), HOST_ADDRESS);
        assertRanOk(await netnsRunInHost(['--down', second]), '--down second');
        assert.equal(hostState(world), before);
      });
    });
  });
}

test.run();
