// The namespace's tunnel against the real kernel and a real wireguard-go, in
// a world made of namespaces the test makes (support/world.ts): the tunnel
// code runs in the host stand-in, the VPN server and "the internet" are
// namespaces too, and no packet leaves them.
import { chownSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseWgQuick, renderResolvConf } from '../../src/network/wg-quick.js';
import { assertOneErrorLine, eventually, present, removeEverything } from '../support/kernel.js';
import { BIN, isRoot, NODE, ROOT, runProgram, skipReason, trySh, withTestNode, type Result } from '../support/netns-run.js';
import { cleanEnv, createTestUser, sudoMissing } from '../support/user.js';
import { KEYS } from '../support/wg-samples.js';
import { CLIENT_V4, endWorld, HOST_ADDRESS, makeWorld, run, VPN_ADDRESS, WEB, worldName, type World } from '../support/world.js';

const DRIVER = join(ROOT, 'dist', 'test', 'support', 'tunnel-driver.js');

/** The tunnel code, run in the host stand-in as netns-run will run it there. */
function driver(world: World, args: readonly string[]): Promise<Result> {
  return runProgram('nsenter', [`--net=/run/netns/${world.host}`, '--', NODE, DRIVER, ...args], { timeoutMs: 30_000 });
}

/** A fresh target namespace NAME with /etc/netns-run/NAME/IFNAME.conf holding TEXT; everything removed after BODY. */
async function withTarget(files: Record<string, string>, body: (name: string) => Promise<void>, mode = 0o600): Promise<void> {
  const name = worldName('t');
  const dir = `/etc/netns-run/${name}`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (const [file, text] of Object.entries(files)) writeFileSync(`${dir}/${file}`, text, { mode });
    run('ip', ['netns', 'add', name]);
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    await body(name);
  } finally {
    removeEverything(name);
    rmSync(dir, { recursive: true, force: true });
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  }
}

function linksIn(ns: string): string[] {
  return (JSON.parse(run('ip', ['-n', ns, '-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname).sort();
}

/** Runs a command inside NAME as `ip netns exec` does: /etc/netns/NAME/resolv.conf bound over /etc/resolv.conf. */
function inside(name: string, command: string): { status: number | null; stdout: string; stderr: string } {
  return trySh(`ip netns exec ${name} ${command}`);
}

/** The DNS = of the file as resolv.conf, where netns-run's resolver setup puts it. */
function writeResolvConf(name: string, config: string): void {
  mkdirSync(`/etc/netns/${name}`, { recursive: true, mode: 0o755 });
  writeFileSync(`/etc/netns/${name}/resolv.conf`, renderResolvConf(parseWgQuick(config, 'wg0.conf', 'wg0').dns, 'wg0.conf')!, { mode: 0o644 });
}

function assertRanOk(result: Result, what: string): void {
  assert.is(result.code, 0, `${what}: exit ${result.code}, stderr: ${result.stderr}`);
}

/** Nothing of a tunnel anywhere: no process and no extra link in the host stand-in, only lo in NAME, no state files. */
async function assertNothingMade(world: World, name: string, what: string): Promise<void> {
  assert.ok(await eventually(() => world.hostProcesses().length === 0, 5_000), `${what}: processes left in the host stand-in: ${world.hostProcesses().join(' ')}`);
  assert.equal(world.hostLinks(), ['lo', 'nrwh0'], `${what}: links left in the host stand-in`);
  assert.equal(linksIn(name), ['lo'], `${what}: links left in ${name}`);
  for (const dir of [`/run/netns-run/${name}/wireguard`, `/run/netns-run/${name}/wireguard-go`]) {
    const left = present(dir) ? readdirSync(dir) : [];
    assert.equal(left, [], `${what}: files left in ${dir}`);
  }
}

const missing = ['wg', 'wireguard-go', 'dnsmasq', 'curl', 'nft'].filter((tool) => trySh(`command -v ${tool}`).status !== 0);
if (!isRoot) {
  skipReason('tunnel tests need root (namespaces, wireguard-go)');
  test.skip('WireGuard tunnels (needs root)', () => {});
} else if (missing.length > 0) {
  skipReason(`${missing.join(', ')} not installed (Debian: wireguard-tools, wireguard-go, dnsmasq-base, curl, nftables)`);
  test.skip('WireGuard tunnels (tools missing)', () => {});
} else {
  let world: World;
  test.before(async () => {
    world = await makeWorld();
  });
  test.after(async () => {
    await endWorld(world);
  });

  test('curl by name through the tunnel: DNS and HTTP go through the VPN; inside only lo and the tunnel', async () => {
    const config = world.clientConfig();
    await withTarget({ 'wg0.conf': config }, async (name) => {
      const made = await driver(world, ['make', name]);
      assertRanOk(made, 'make');
      assert.equal(linksIn(name), ['lo', 'wg0']);
      assert.equal(world.hostLinks(), ['lo', 'nrwh0'], 'the temporary interface is still in the host stand-in');
      writeResolvConf(name, config);
      const dnsBefore = world.dnsLog().length;
      const curl = inside(name, 'curl -sS --max-time 10 http://ifconfig.me/');
      assert.is(curl.status, 0, `curl: ${curl.stderr}`);
      // The web server saw the VPN's address: the request went through the tunnel and out of the VPN server.
      assert.is(curl.stdout.trim(), VPN_ADDRESS);
      // The servers' logs arrive through our event loop, which the synchronous curl held up.
      const seen = new RegExp(`request ${VPN_ADDRESS.replace(/\./g, '\\.')} ifconfig\\.me`);
      assert.ok(await eventually(() => seen.test(world.webLog()), 3_000), world.webLog());
      assert.not.ok(world.webLog().includes(`request ${HOST_ADDRESS}`), 'a request came straight from the host stand-in');
      // The name was looked up by the world's DNS server, reached through the tunnel (from the VPN's address).
      const query = new RegExp(`query\\[A\\] ifconfig\\.me from ${VPN_ADDRESS.replace(/\./g, '\\.')}`);
      assert.ok(await eventually(() => query.test(world.dnsLog().slice(dnsBefore)), 3_000), world.dnsLog().slice(dnsBefore));
      const resolv = inside(name, 'cat /etc/resolv.conf').stdout;
      assert.equal(resolv.split('\n').filter((l) => l.startsWith('nameserver')), [`nameserver ${WEB}`]);

      // What the kernel has, read back: no private key anywhere in it.
      const inspected = await driver(world, ['inspect', name, 'wg0']);
      assertRanOk(inspected, 'inspect');
      assert.not.ok(inspected.stdout.includes(KEYS.clientPrivate), 'inspect printed the private key');
      const facts = JSON.parse(inspected.stdout) as { publicKey: string; up: boolean; addresses: string[]; peers: { publicKey: string; latestHandshake: number; endpoint: string }[] };
      assert.is(facts.publicKey, KEYS.clientPublic);
      assert.ok(facts.up);
      assert.ok(facts.addresses.includes(`${CLIENT_V4}/32`), facts.addresses.join(' '));
      assert.ok(facts.addresses.includes('fd99::2/128'), facts.addresses.join(' '));
      assert.is(facts.peers[0]!.publicKey, KEYS.serverPublic);
      assert.is(facts.peers[0]!.endpoint, `${VPN_ADDRESS}:51820`);
      assert.ok(facts.peers[0]!.latestHandshake > 0, 'no handshake');
      // Default routes for 0.0.0.0/0 and ::/0 through the tunnel, nothing else.
      assert.match(run('ip', ['-n', name, 'route', 'show', 'default']), /^default dev wg0/);
      assert.match(run('ip', ['-n', name, '-6', 'route', 'show', 'default']), /default dev wg0/);

      const removed = await driver(world, ['remove', name]);
      assertRanOk(removed, 'remove');
      assert.is(removed.stdout.trim(), '[]');
      await assertNothingMade(world, name, 'after remove');
      assert.not.ok(present(`/run/netns-run/${name}/wireguard`), 'the view directory is left');
    });
  });

  /** netns-run itself, run in the host stand-in as a user runs it on the host. */
  function netnsRunInHost(args: readonly string[]): Promise<Result> {
    return runProgram('nsenter', [`--net=/run/netns/${world.host}`, '--', BIN, ...args], { env: withTestNode(), timeoutMs: 60_000 });
  }

  /** NAME with /etc/netns-run/NAME/wg0.conf, not made yet; --down and every trace removed after BODY. */
  async function withConfiguredName(config: string, body: (name: string) => Promise<void>): Promise<void> {
    const name = worldName('n');
    const dir = `/etc/netns-run/${name}`;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      writeFileSync(`${dir}/wg0.conf`, config, { mode: 0o600 });
      await body(name);
    } finally {
      await netnsRunInHost(['--down', name]);
      removeEverything(name);
      rmSync(dir, { recursive: true, force: true });
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    }
  }

  test('netns-run NAME -- curl http://ifconfig.me/: first use makes the namespace and its tunnel; --down removes them', async () => {
    await withConfiguredName(world.clientConfig(), async (name) => {
      const started = Date.now();
      const first = await netnsRunInHost([name, '--', 'curl', '-sS', '--max-time', '10', 'http://ifconfig.me/']);
      const firstMs = Date.now() - started;
      assertRanOk(first, 'first use');
      assert.is(first.stdout.trim(), VPN_ADDRESS, 'not through the tunnel');
      process.stdout.write(`  first use with a tunnel, curl included: ${firstMs} ms\n`);
      const view = await netnsRunInHost([name, '--', 'sh', '-c', 'ls /sys/class/net; grep ^nameserver /etc/resolv.conf']);
      assertRanOk(view, 'second use');
      assert.equal(view.stdout.trim().split('\n'), ['lo', 'wg0', `nameserver ${WEB}`]);
      assert.is(world.hostProcesses().length, 1, 'one wireguard-go');
      assert.equal(world.hostLinks(), ['lo', 'nrwh0']);
      const down = await netnsRunInHost(['--down', name]);
      assertRanOk(down, '--down');
      assert.ok(await eventually(() => world.hostProcesses().length === 0, 5_000), 'wireguard-go is left after --down');
      assert.not.ok(present(`/run/netns/${name}`), 'the namespace is left');
      assert.not.ok(present(`/run/netns-run/${name}`), 'the state directory is left');
      assert.equal(world.hostLinks(), ['lo', 'nrwh0']);
    });
  });

  test('netns-run NAME: a first use that fails after wireguard-go started leaves no namespace, process or state directory', async () => {
    // Refused by the kernel once the interface is inside: the same address twice.
    const config = world.clientConfig().replace(`Address = ${CLIENT_V4}/32`, `Address = ${CLIENT_V4}/32, ${CLIENT_V4}/32`);
    await withConfiguredName(config, async (name) => {
      const result = await netnsRunInHost([name, '--', 'true']);
      assertOneErrorLine(result, 125, 'duplicate address');
      assert.not.match(result.stderr, /could not undo/, result.stderr);
      assert.ok(await eventually(() => world.hostProcesses().length === 0, 5_000), 'wireguard-go is left');
      assert.not.ok(present(`/run/netns/${name}`), 'the namespace is left');
      assert.not.ok(present(`/run/netns-run/${name}`), 'the state directory is left');
      assert.equal(world.hostLinks(), ['lo', 'nrwh0']);
    });
  });

  test("wireguard-go keeps none of the caller's descriptors: a pipe or file the caller left open is not held for the namespace's life", async () => {
    await withConfiguredName(world.clientConfig(), async (name) => {
      const marker = `/tmp/nrw-fd-${process.pid}`;
      try {
        writeFileSync(marker, '');
        // The caller's shell leaves a high descriptor open (no close-on-exec); Node itself marks the low ones close-on-exec, so only a high one tells.
        const made = await runProgram('bash', ['-c', 'exec 251>>"$1"; shift; exec "$@"', 'sh', marker, 'nsenter', `--net=/run/netns/${world.host}`, '--', BIN, '--ensure', name], { env: withTestNode(), timeoutMs: 60_000 });
        assertRanOk(made, '--ensure');
        const daemons = world.hostProcesses();
        assert.is(daemons.length, 1, 'one wireguard-go');
        const held = readdirSync(`/proc/${daemons[0]}/fd`).map((fd) => { try { return readlinkSync(`/proc/${daemons[0]}/fd/${fd}`); } catch { return ''; } });
        assert.not.ok(held.includes(marker), `wireguard-go holds the caller's descriptor: ${held.join(' ')}`);
      } finally {
        rmSync(marker, { force: true });
      }
    });
  });

  test('--ensure after an edit brings the live tunnel to the file and says so; unchanged, it changes and says nothing', async () => {
    await withConfiguredName(world.clientConfig(), async (name) => {
      assertRanOk(await netnsRunInHost([name, '--', 'true']), 'first use');
      const mtu = () => (JSON.parse(run('ip', ['-n', name, '-j', 'link', 'show', 'dev', 'wg0'])) as { mtu: number }[])[0]!.mtu;
      const before = mtu();
      const same = await netnsRunInHost(['--ensure', name]);
      assertRanOk(same, '--ensure, nothing edited');
      assert.is(same.stderr, '', 'an --ensure that changed nothing said something');
      // A run does not look at the network: the edit waits for --ensure.
      writeFileSync(`/etc/netns-run/${name}/wg0.conf`, world.clientConfig({ interface: 'MTU = 1300' }), { mode: 0o600 });
      assertRanOk(await netnsRunInHost([name, '--', 'true']), 'a run after the edit');
      assert.is(mtu(), before, 'a plain run changed the tunnel');
      const edited = await netnsRunInHost(['--ensure', name]);
      assertRanOk(edited, '--ensure after the edit');
      assert.match(edited.stderr, new RegExp(`^netns-run: ${name}: wg0: made again from /etc/netns-run/${name}/wg0.conf \\(the file changed\\)\n$`));
      assert.is(mtu(), 1300, 'the MTU of the file');
      assert.is(world.hostProcesses().length, 1, 'one wireguard-go, the old one gone');
      const through = await netnsRunInHost([name, '--', 'curl', '-sS', '--max-time', '10', 'http://ifconfig.me/']);
      assertRanOk(through, 'curl after --ensure');
      assert.is(through.stdout.trim(), VPN_ADDRESS, 'not through the tunnel');
      // The file gone: --ensure removes the tunnel it made from it.
      rmSync(`/etc/netns-run/${name}/wg0.conf`);
      const removed = await netnsRunInHost(['--ensure', name]);
      assertRanOk(removed, '--ensure after the file went');
      assert.match(removed.stderr, /wg0: removed \(.*wg0\.conf is gone\)/);
      assert.equal(linksIn(name), ['lo']);
      assert.ok(await eventually(() => world.hostProcesses().length === 0, 5_000), 'wireguard-go is left');
    });
  });

  test('a namespace made before its tunnel: --ensure adds the tunnel and DNS = replaces netns-run\'s defaults; an administrator\'s resolv.conf stays', async () => {
    const name = worldName('late');
    const dir = `/etc/netns-run/${name}`;
    try {
      assertRanOk(await netnsRunInHost([name, '--', 'true']), 'first use, no tunnel');
      assert.match(readFileSync(`/etc/netns/${name}/resolv.conf`, 'utf8'), /made by netns-run on first use/);
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      writeFileSync(`${dir}/wg0.conf`, world.clientConfig(), { mode: 0o600 });
      const ensured = await netnsRunInHost(['--ensure', name]);
      assertRanOk(ensured, '--ensure with a tunnel added');
      assert.match(ensured.stderr, /wg0: made from /);
      assert.match(ensured.stderr, /resolv\.conf: the name servers of DNS = in /);
      const view = await netnsRunInHost([name, '--', 'sh', '-c', 'grep ^nameserver /etc/resolv.conf; curl -sS --max-time 10 http://ifconfig.me/']);
      assertRanOk(view, 'a run after --ensure');
      assert.equal(view.stdout.trim().split('\n'), [`nameserver ${WEB}`, VPN_ADDRESS]);
      // The administrator's own file is theirs, whatever DNS = says.
      writeFileSync(`/etc/netns/${name}/resolv.conf`, 'nameserver 192.0.2.53\n', { mode: 0o644 });
      writeFileSync(`${dir}/wg0.conf`, world.clientConfig({ interface: 'MTU = 1300' }), { mode: 0o600 });
      const again = await netnsRunInHost(['--ensure', name]);
      assertRanOk(again, '--ensure with the administrator\'s resolv.conf');
      assert.not.match(again.stderr, /resolv\.conf/);
      assert.is(readFileSync(`/etc/netns/${name}/resolv.conf`, 'utf8'), 'nameserver 192.0.2.53\n');
    } finally {
      await netnsRunInHost(['--down', name]);
      removeEverything(name);
      rmSync(dir, { recursive: true, force: true });
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    }
  });

  const noSudo = sudoMissing();
  if (noSudo !== undefined) skipReason(noSudo);
  (noSudo === undefined ? test : test.skip)('through sudo, as a user: first use makes the tunnel, curl runs as the user through it', async () => {
    const user = createTestUser();
    try {
      await withConfiguredName(world.clientConfig(), async (name) => {
        const result = await runProgram('nsenter', [`--net=/run/netns/${world.host}`, '--', trySh('command -v runuser').stdout.trim(), '-u', user.name, '--', 'sudo', '-n', BIN, name, '--', 'sh', '-c', 'id -u; curl -sS --max-time 10 http://ifconfig.me/'], { env: cleanEnv(), cwd: user.home, timeoutMs: 60_000 });
        assertRanOk(result, 'sudo netns-run');
        assert.equal(result.stdout.trim().split('\n'), [String(user.uid), VPN_ADDRESS]);
        assert.is(world.hostProcesses().length, 1, 'one wireguard-go');
      });
    } finally {
      user.cleanup();
    }
  });

  test('20 concurrent first uses make one namespace and one tunnel', async () => {
    await withConfiguredName(world.clientConfig(), async (name) => {
      const results = await Promise.all(Array.from({ length: 20 }, () => netnsRunInHost([name, '--', 'cat', '/sys/class/net/wg0/mtu'])));
      results.forEach((result, index) => assertRanOk(result, `call ${index}`));
      assert.is(world.hostProcesses().length, 1, `wireguard-go processes: ${world.hostProcesses().join(' ')}`);
      assert.equal(linksIn(name), ['lo', 'wg0']);
      const curl = await netnsRunInHost([name, '--', 'curl', '-sS', '--max-time', '10', 'http://ifconfig.me/']);
      assert.is(curl.stdout.trim(), VPN_ADDRESS, curl.stderr);
    });
  });

  /** Processes in the host stand-in that are netns-run's Node (not wireguard-go). */
  function netnsRunNodes(): number[] {
    return world.hostProcesses().filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('netns-run') && !readlinkSync(`/proc/${pid}/exe`).endsWith('wireguard-go');
      } catch {
        return false;
      }
    });
  }

  const KILL_POINTS: [string, (name: string) => boolean][] = [
    ['wireguard-go started', () => world.hostProcesses().some((pid) => { try { return readlinkSync(`/proc/${pid}/exe`).endsWith('wireguard-go'); } catch { return false; } })],
    // Under its temporary name only for a few ms, too short to poll for: moved in, renamed or not.
    ['the interface moved in', (name) => /nrwg-|wg0/.test(trySh(`ip -n ${name} -o link`).stdout)],
    // The link to wg0's socket is made right after the rename, and is seen without starting a program:
    // what is left of first use after it takes only tens of milliseconds, too short for ip every 20 ms.
    ['wg0 inside', (name) => present(`/run/netns-run/${name}/wireguard/wg0.sock`)],
  ];
  /** eventually, polling every millisecond: the points above last only a little longer than a poll of ip. */
  const soon = async (condition: () => boolean, boundMs: number): Promise<boolean> => {
    const until = Date.now() + boundMs;
    while (!condition()) {
      if (Date.now() > until) return false;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return true;
  };
  for (const [point, reached] of KILL_POINTS) {
    test(`SIGKILL of first use once ${point}: the next call repairs it, one tunnel, one wireguard-go`, async () => {
      await withConfiguredName(world.clientConfig(), async (name) => {
        const first = netnsRunInHost([name, '--', 'true']);
        assert.ok(await soon(() => present(`/run/netns/${name}`) && reached(name), 10_000), `never saw ${point}`);
        const nodes = netnsRunNodes();
        for (const pid of nodes) process.kill(pid, 'SIGKILL');
        // Killed half-way, not after it had finished: otherwise this proves nothing.
        const killed = await first;
        assert.ok(nodes.length > 0 && killed.code !== 0, `first use was not killed half-way: ${nodes.length} nodes, exit ${killed.code}`);
        const left = `links ${linksIn(name).join(',')}; records ${trySh(`cat /run/netns-run/${name}/wireguard/*.made`).stdout.trim()}`;
        const next = await netnsRunInHost([name, '--', 'curl', '-sS', '--max-time', '10', 'http://ifconfig.me/']);
        assertRanOk(next, `the call after the kill (left: ${left})`);
        assert.is(next.stdout.trim(), VPN_ADDRESS);
        assert.equal(linksIn(name), ['lo', 'wg0']);
        assert.ok(await eventually(() => world.hostProcesses().length === 1, 5_000), `processes in the host stand-in: ${world.hostProcesses().join(' ')}`);
        assert.equal(world.hostLinks(), ['lo', 'nrwh0']);
        assertRanOk(await netnsRunInHost(['--down', name]), '--down');
        assert.ok(await eventually(() => world.hostProcesses().length === 0, 5_000), 'wireguard-go left after --down');
      });
    });
  }

  test('a bad key file through netns-run: one line, no namespace, no process', async () => {
    await withConfiguredName(world.clientConfig().replace(KEYS.clientPrivate, 'not-a-key'), async (name) => {
      const result = await netnsRunInHost([name, '--', 'true']);
      assertOneErrorLine(result, 125, 'bad key');
      assert.match(result.stderr, /wg0\.conf:2: PrivateKey is not a WireGuard key/);
      assert.not.ok(present(`/run/netns/${name}`), 'a namespace was made');
      assert.not.ok(present(`/run/netns-run/${name}`), 'a state directory was left');
      assert.is(world.hostProcesses().length, 0);
    });
  });

  // The kernel path, forced through the driver, where the kernel has WireGuard; the rest of the file proves the userspace path.
  const kernelWireGuard = trySh('unshare --net ip link add nrwprobe type wireguard').status === 0;
  if (!kernelWireGuard) skipReason('kernel WireGuard: this kernel has no wireguard link type (ip link add type wireguard fails), so only the wireguard-go path is tested here');
  (kernelWireGuard ? test : test.skip)('kernel WireGuard: made, moved in, renamed, curl through it, removed', async () => {
    await withTarget({ 'wg0.conf': world.clientConfig() }, async (name) => {
      assertRanOk(await driver(world, ['make', name, 'kernel']), 'make');
      assert.equal(linksIn(name), ['lo', 'wg0']);
      assert.is((JSON.parse(run('ip', ['-n', name, '-d', '-j', 'link', 'show', 'dev', 'wg0'])) as { linkinfo?: { info_kind?: string } }[])[0]!.linkinfo?.info_kind, 'wireguard');
      assert.is(world.hostProcesses().length, 0, 'a process for a kernel tunnel');
      const curl = inside(name, `curl -sS --max-time 10 http://${WEB}/`);
      assert.is(curl.stdout.trim(), VPN_ADDRESS, curl.stderr);
      assertRanOk(await driver(world, ['remove', name]), 'remove');
      await assertNothingMade(world, name, 'after remove');
    });
  });

  const hasStrace = trySh('command -v strace').status === 0;
  if (!hasStrace) skipReason('strace is not installed: the test that no key reaches a command line or an environment needs it');
  (hasStrace ? test : test.skip)('no key on any command line or in any environment, of any program first use starts', async () => {
    await withTarget({ 'wg0.conf': world.clientConfig().replace('[Peer]', '[Peer]\nPresharedKey = ' + KEYS.preshared) }, async (name) => {
      const trace = `/tmp/nrw-trace-${process.pid}`;
      try {
        // -f follows wireguard-go too, which outlives the driver: strace ends once remove has stopped it.
        const traced = runProgram('nsenter', [`--net=/run/netns/${world.host}`, '--', 'strace', '-f', '-qq', '-e', 'trace=execve', '-v', '-s', '65536', '-o', trace, NODE, DRIVER, 'make', name], { timeoutMs: 30_000 });
        assert.ok(await eventually(() => linksIn(name).includes('wg0'), 20_000), 'no wg0 made under strace');
        // wg read the keys from an unlinked file: none is left where it was made.
        const view = `/run/netns-run/${name}/wireguard`;
        assert.equal(readdirSync(view).filter((file) => file.endsWith('.setconf')), [], `a setconf file left in ${view}`);
        assertRanOk(await driver(world, ['remove', name]), 'remove');
        await traced;
        const execs = readFileSync(trace, 'utf8');
        const programs = new Set([...execs.matchAll(/execve\("([^"]+)"/g)].map((m) => m[1]!.split('/').pop()));
        for (const program of ['wg', 'wireguard-go', 'ip']) assert.ok(programs.has(program), `${program} was not run: ${[...programs].join(' ')}`);
        for (const secret of [KEYS.clientPrivate, KEYS.preshared]) assert.not.ok(execs.includes(secret), 'a key was on a command line or in an environment');
      } finally {
        rmSync(trace, { force: true });
      }
    });
  });

  test('two namespaces can both have wg0; each wg show sees its own', async () => {
    await withTarget({ 'wg0.conf': world.clientConfig() }, async (first) => {
      const second = world.clientConfig().replace(KEYS.clientPrivate, KEYS.otherPrivate);
      await withTarget({ 'wg0.conf': second }, async (other) => {
        assertRanOk(await driver(world, ['make', first]), 'make first');
        assertRanOk(await driver(world, ['make', other]), 'make second');
        assert.equal(linksIn(first), ['lo', 'wg0']);
        assert.equal(linksIn(other), ['lo', 'wg0']);
        assert.is(world.hostProcesses().length, 2, 'one wireguard-go per interface');
        const a = JSON.parse((await driver(world, ['inspect', first, 'wg0'])).stdout) as { publicKey: string };
        const b = JSON.parse((await driver(world, ['inspect', other, 'wg0'])).stdout) as { publicKey: string };
        assert.is(a.publicKey, KEYS.clientPublic);
        assert.is(b.publicKey, KEYS.otherPublic);
        // No socket of ours in the host's own /run/wireguard.
        const global = present('/run/wireguard') ? readdirSync('/run/wireguard').filter((f) => f.startsWith('nrwg-')) : [];
        assert.equal(global, []);
        assertRanOk(await driver(world, ['remove', first]), 'remove first');
        assertRanOk(await driver(world, ['remove', other]), 'remove second');
        await assertNothingMade(world, first, 'after remove');
      });
    });
  });

  test('the far end gone: nothing reaches out, not even around the tunnel', async () => {
    const config = world.clientConfig();
    await withTarget({ 'wg0.conf': config }, async (name) => {
      assertRanOk(await driver(world, ['make', name]), 'make');
      const before = inside(name, `curl -sS --max-time 10 http://${WEB}/`);
      assert.is(before.stdout.trim(), VPN_ADDRESS, `curl before: ${before.stderr}`);
      await world.stopVpn();
      const webBefore = world.webLog().length;
      for (const target of [`http://${WEB}/`, 'http://10.201.0.1/', `http://${HOST_ADDRESS}/`]) {
        const after = inside(name, `curl -sS --max-time 2 ${target}`);
        assert.is.not(after.status, 0, `curl ${target} succeeded with the VPN gone: ${after.stdout}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200)); // let the servers' logs in
      assert.is(world.webLog().slice(webBefore), '', 'the web server saw a request with the VPN gone');
      assertRanOk(await driver(world, ['remove', name]), 'remove');
      await assertNothingMade(world, name, 'after remove');
    });
  });

  test('bad files give one line and make nothing', async () => {
    const good = world.clientConfig();
    const cases: [string, Record<string, string>, number, RegExp][] = [
      ['a malformed file', { 'wg0.conf': good.replace('[Peer]', '[Pear]') }, 0o600, /wg0\.conf:\d+: \[Pear\] is not a section/],
      ['a bad private key', { 'wg0.conf': good.replace(KEYS.clientPrivate, `${KEYS.clientPrivate.slice(0, 30)}#`) }, 0o600, /wg0\.conf:2: PrivateKey is not a WireGuard key/],
      ['a bad public key', { 'wg0.conf': good.replace(KEYS.serverPublic, 'nope') }, 0o600, /PublicKey is not a WireGuard key/],
      ['a hook', { 'wg0.conf': good.replace('[Peer]', 'PostUp = touch /tmp/nrw-pwned\n[Peer]') }, 0o600, /PostUp: netns-run runs no shell commands/],
      ['a group-readable key file', { 'wg0.conf': good }, 0o640, /holds a private key and must be readable by root alone; chmod 600 it/],
      ['an other-readable key file', { 'wg0.conf': good }, 0o604, /holds a private key and must be readable by root alone; chmod 600 it/],
      // Valid files, then one that is not: nothing of the first is made either.
      ['a good file and a bad one', { 'wg0.conf': good, 'wg1.conf': good.replace('DNS', 'Mtu = 1\nDNS') }, 0o600, /wg1\.conf:\d+: MTU must be/],
    ];
    for (const [what, files, mode, expected] of cases) {
      await withTarget(files, async (name) => {
        const result = await driver(world, ['make', name]);
        assertOneErrorLine(result, 125, what);
        assert.match(result.stderr, expected, what);
        assert.not.ok(result.stderr.includes(KEYS.clientPrivate.slice(0, 30)), `${what}: a key in the message`);
        await assertNothingMade(world, name, what);
      }, mode);
    }
    assert.not.ok(present('/tmp/nrw-pwned'), 'a hook ran');
  });

  test('a key file not owned by root is refused before anything is made', async () => {
    await withTarget({ 'wg0.conf': world.clientConfig() }, async (name) => {
      chownSync(`/etc/netns-run/${name}/wg0.conf`, 65534, 65534);
      const result = await driver(world, ['make', name]);
      assertOneErrorLine(result, 125, 'owned by nobody');
      assert.match(result.stderr, /wg0\.conf must be owned by root/);
      await assertNothingMade(world, name, 'owned by nobody');
    });
  });

  test('a failure after wireguard-go started takes everything back: process, interface, records', async () => {
    // Valid to the parser, refused by the kernel once the interface is inside: the same address twice.
    const config = world.clientConfig().replace(`Address = ${CLIENT_V4}/32`, `Address = ${CLIENT_V4}/32, ${CLIENT_V4}/32`);
    await withTarget({ 'wg0.conf': config }, async (name) => {
      const result = await driver(world, ['make', name]);
      assertOneErrorLine(result, 125, 'duplicate address');
      assert.match(result.stderr, /setting up wg0 in .* failed: .*(File exists|already assigned)/, result.stderr);
      await assertNothingMade(world, name, 'after the failure');
    });
  });

  test('an interface of that name already in the namespace is left alone, and nothing is made', async () => {
    await withTarget({ 'wg0.conf': world.clientConfig() }, async (name) => {
      run('ip', ['-n', name, 'link', 'add', 'wg0', 'type', 'veth', 'peer', 'name', 'nrwpeer']);
      const result = await driver(world, ['make', name]);
      assertOneErrorLine(result, 125, 'wg0 exists');
      assert.match(result.stderr, /already has an interface wg0 that netns-run did not make/);
      assert.equal(linksIn(name), ['lo', 'nrwpeer', 'wg0']);
      assert.is((JSON.parse(run('ip', ['-n', name, '-j', 'link', 'show', 'dev', 'wg0'])) as { link_type: string }[])[0]!.link_type, 'ether', 'wg0 was replaced');
      run('ip', ['-n', name, 'link', 'delete', 'wg0']);
      await assertNothingMade(world, name, 'wg0 exists');
    });
  });

  test('with no such directory, or a directory without *.conf, no tunnel is made', async () => {
    await withTarget({ 'network.conf': 'anything', 'notes.txt': 'x' }, async (name) => {
      const result = await driver(world, ['make', name]);
      assertRanOk(result, 'make');
      assert.is(result.stdout.trim(), '[]');
      await assertNothingMade(world, name, 'no WireGuard file');
    });
  });

}

test.run();
