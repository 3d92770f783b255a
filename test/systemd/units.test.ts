// Issue #11: netns-run under a real systemd (PID 1 of a PID namespace of
// its own, booted once for this file by test/support/systemd.ts): the
// template unit, Type=notify, socket activation (unix, and TCP as port
// forwarding), the --unit drop-in, hardened units with netns-run in
// ExecStart=, a user unit through sudo, and pkexec with polkitd. Everything
// the tests make lives inside that systemd's throwaway /etc, /run and
// network; shutdown() in the after-hook takes it all away, also on failure.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, skipReason, uniqueName } from '../support/netns-run.js';
import { bootSystemd, systemdMissing, type Booted } from '../support/systemd.js';
import { eventually } from '../support/kernel.js';
import { makeWorld, run, VPN_ADDRESS, WEB } from '../support/world.js';

// Once per suite run: every run here goes through the launcher shell, which
// execs the chain the same way on every Node, and a boot costs seconds.
const missing = process.env.NETNS_RUN_TEST_NODE ? 'they run once, in the pass on the default Node' : systemdMissing();
const test = suite<{ sd: Booted }>('systemd', {} as { sd: Booted });
const PROBE = '/mnt/work/probe';
/** The probe counts SIGTERM instead of dying of it. */
const PROBE_KILL = 'KillSignal=SIGKILL\n';
const HARDENING = 'PrivateTmp=yes\nProtectSystem=strict\nProtectHome=yes\nPrivateDevices=yes\nInaccessiblePaths=/mnt/work/secret\n';
/** The namespace of each test. */
const NS = {
  tpl: uniqueName('dtpl'),
  notify: uniqueName('dnot'),
  sock: uniqueName('dsock'),
  tcp: uniqueName('dtcp'),
  drop: uniqueName('ddrop'),
  dropHard: uniqueName('ddrop'),
  hard: uniqueName('dhard'),
  none: uniqueName('dnone'),
  user: uniqueName('duser'),
  pk: uniqueName('dpk'),
  tag: uniqueName('dtag'),
  wg: uniqueName('dwg'),
};
const DROP_UNITS = [['nrd-drop.service', NS.drop, ''], ['nrd-drophard.service', NS.dropHard, HARDENING]] as const;
let suiteStarted = 0;
// Counted as skipped, with the reason printed, where systemd cannot be booted.
const check = missing ? test.skip : test;
if (missing) skipReason(`systemd tests: ${missing}`);

test.before(async (context) => {
  if (missing) return;
  suiteStarted = Date.now();
  context.sd = await bootSystemd();
  process.stdout.write(`# systemd booted in ${context.sd.bootMs} ms\n`);
  const compiled = spawnSync('gcc', ['-std=c11', '-O2', '-o', join(context.sd.work, 'probe'), join(ROOT, 'test', 'conformance', 'probe.c')], { encoding: 'utf8' });
  if (compiled.status !== 0) throw new Error(`gcc: ${compiled.stderr}`);
  // Output files of the units, writable by the test users too.
  await context.sd.sh('mkdir -m 1777 /mnt/work/out');
  await context.sd.sh('mkdir -p /mnt/work/secret');
  // Every unit at once: a daemon-reload costs about a second here.
  for (const [file, text] of units()) context.sd.write(file, text);
  // The drop-ins as netns-run --unit prints them.
  for (const [unit, name] of DROP_UNITS) context.sd.write(`/etc/systemd/system/${unit}.d/netns-${name}.conf`, await context.sd.sh(`netns-run --unit ${name}`));
  await context.sd.sh('systemctl daemon-reload');
});

/** What the checks below print inside a confined service: one key=value line each. */
const LOOK = [
  'echo net=$(readlink /proc/self/ns/net)',
  'echo resolv=$(grep -c . /etc/resolv.conf) $(md5sum </etc/resolv.conf | cut -c1-32)',
  'echo links=$(ls /sys/class/net | sort | tr "\\n" " ")',
  'echo nscd=$(ls -A /run/nscd | wc -l) $(touch /run/nscd/x 2>/dev/null && echo writable || echo read-only)',
].join('; ');

/** What the hardened unit prints: LOOK and what each hardening option must still hide. */
const HARD_LOOK = [
  LOOK,
  'echo secret=$(cat /mnt/work/secret/f 2>/dev/null || echo hidden)',
  'echo home=$(ls -A /home | wc -l)',
  'echo tmp=$(touch /tmp/nrd-private && echo ok)',
  'echo etc=$(touch /etc/nrd 2>/dev/null && echo writable || echo read-only)',
  'echo dev=$(test -e /dev/vda -o -e /dev/sda -o -e /dev/mem && echo host || echo private)',
].join('; ');

/** Every file the tests need inside, by path: units (system and user) and polkit rules. */
function units(): [string, string][] {
  const system = '/etc/systemd/system';
  const tpl = `netns-run@${NS.tpl}.service`;
  const hard = `netns-run@${NS.hard}.service`;
  const userUnit = (timeout: number) => `[Service]\nType=notify\nNotifyAccess=all\nTimeoutStartSec=${timeout}\n${PROBE_KILL}ExecStart=/usr/bin/netns-run ${NS.user} -- ${PROBE} -n /mnt/work/out/user-notify.log\n`;
  return [
    // The template unit as shipped: ExecStart=/usr/bin/netns-run, which is the clone's bin/netns-run in there.
    [`${system}/netns-run@.service`, readFileSync(join(ROOT, 'units', 'netns-run@.service'), 'utf8')],
    // A service through the tunnel of netns-run@NS.wg: curl by name, the name looked up by the DNS = of the file.
    [`${system}/nrd-wg.service`, `[Unit]\nRequires=netns-run@${NS.wg}.service\nAfter=netns-run@${NS.wg}.service\n[Service]\nType=oneshot\nExecStart=/usr/bin/netns-run ${NS.wg} -- sh -c 'exec >/mnt/work/out/wg 2>&1; grep ^nameserver /etc/resolv.conf; echo links $$(ls /sys/class/net); curl -sS --max-time 10 http://ifconfig.me/'\n`],
    [`${system}/nrd-dep.service`, `[Unit]\nRequires=${tpl}\nAfter=${tpl}\n[Service]\nExecStart=/usr/bin/netns-run ${NS.tpl} -- sleep 600\n`],
    [`${system}/nrd-notify.service`, `[Service]\nType=notify\nNotifyAccess=main\nTimeoutStartSec=15\n${PROBE_KILL}ExecStart=/usr/bin/netns-run ${NS.notify} -- ${PROBE} -n /mnt/work/out/notify.log\n`],
    [`${system}/nrd-unix.socket`, '[Socket]\nListenStream=/run/nrd-unix.sock\nAccept=yes\n'],
    [`${system}/nrd-unix@.service`, `[Service]\nStandardInput=socket\nExecStart=/usr/bin/netns-run ${NS.sock} -- sh -c 'readlink /proc/self/ns/net; read -r line; echo "got $line"'\n`],
    // A server on the namespace's own loopback, which nothing in the host can reach, and a forwarder to it.
    [`${system}/nrd-web.service`, `[Service]\nExecStart=/usr/bin/netns-run ${NS.tcp} -- socat TCP-LISTEN:8080,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo served in ${NS.tcp}'\n`],
    [`${system}/nrd-fwd.socket`, '[Socket]\nListenStream=127.0.0.1:18080\n'],
    [`${system}/nrd-fwd.service`, `[Unit]\nRequires=nrd-web.service\nAfter=nrd-web.service\n[Service]\nExecStart=/usr/bin/netns-run ${NS.tcp} -- /usr/lib/systemd/systemd-socket-proxyd 127.0.0.1:8080\n`],
    ...DROP_UNITS.map(([unit, , hardening]): [string, string] => [`${system}/${unit}`, `[Service]\nType=oneshot\n${hardening}StandardOutput=truncate:/mnt/work/out/${unit}\nExecStart=sh -c '${LOOK}'\n`]),
    [`${system}/nrd-hard.service`, `[Unit]\nRequires=${hard}\nAfter=${hard}\n[Service]\nType=oneshot\n${HARDENING}StandardOutput=truncate:/mnt/work/out/hard\nExecStart=netns-run ${NS.hard} -- sh -c '${HARD_LOOK}'\n`],
    [`${system}/nrd-early.service`, `[Service]\nType=oneshot\nProtectSystem=strict\nExecStart=netns-run ${NS.none} -- true\n`],
    [`${system}/nrd-untagged.service`, `[Service]\nType=oneshot\nExecStart=/usr/bin/netns-run ${NS.tag} -- echo nrd-untagged-line\n`],
    [`${system}/nrd-tagged.service`, `[Service]\nType=oneshot\nSyslogIdentifier=nrd-tagged\nExecStart=/usr/bin/netns-run ${NS.tag} -- echo nrd-tagged-line\n`],
    ['/etc/systemd/user/nrd-user-quick.service', userUnit(3)],
    ['/etc/systemd/user/nrd-user.service', userUnit(15)],
    ['/etc/polkit-1/rules.d/50-netns-run.rules', securityRule('nrd-pk')],
    // A refusal: polkit says no outright (what a site rule does for a user it distrusts).
    ['/etc/polkit-1/rules.d/40-nrd-deny.rules', 'polkit.addRule(function(action, subject) {\n  if (subject.user == "nrd-pkno") return polkit.Result.NO;\n});\n'],
  ];
}

let testStarted = 0;
test.before.each(() => {
  testStarted = Date.now();
});
test.after.each(() => {
  process.stdout.write(` ${Date.now() - testStarted} ms `);
});

test.after(async (context) => {
  const stopping = Date.now();
  await context.sd?.shutdown();
  if (context.sd === undefined) return; // not booted (the pass that skips them): no time to tell
  process.stdout.write(`# shutdown took ${Date.now() - stopping} ms\n`);
  process.stdout.write(`# systemd tests took ${Date.now() - suiteStarted} ms\n`);
});

/** "net:[INODE]" of the namespace bound at /run/netns/NAME, as readlink(/proc/PID/ns/net) shows it inside. */
async function netOf(sd: Booted, name: string): Promise<string> {
  return `net:[${(await sd.sh(`stat -L -c %i /run/netns/${name}`)).trim()}]`;
}

async function mainPid(sd: Booted, unit: string): Promise<number> {
  return Number(await sd.show(unit, 'MainPID'));
}

async function netOfPid(sd: Booted, pid: number): Promise<string> {
  return (await sd.sh(`readlink /proc/${pid}/ns/net`)).trim();
}

/** key=value lines a unit wrote, as a map. */
function fields(text: string): Map<string, string> {
  return new Map(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}


async function resolvOf(sd: Booted, name: string): Promise<string> {
  return (await sd.sh(`echo $(grep -c . /etc/netns/${name}/resolv.conf) $(md5sum </etc/netns/${name}/resolv.conf | cut -c1-32)`)).trim();
}

/**
 * The network namespace of PID once it has had time to enter WANTED: a
 * Type=simple service is "active" as soon as its process starts, while that
 * process (netns-run's launcher) is still in the host's namespace, setting up.
 */
async function netOfPidOnceEntered(sd: Booted, pid: number, wanted: string): Promise<string> {
  let seen = await netOfPid(sd, pid);
  for (let i = 0; i < 100 && seen !== wanted; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    seen = await netOfPid(sd, pid);
  }
  return seen;
}

check('the template unit: start makes the namespace, restart restarts dependents in the new one, stop stops them and removes it', async ({ sd }) => {
  const name = NS.tpl;
  const template = `netns-run@${name}.service`;
  await sd.sh(`systemctl start nrd-dep.service`);
  await sd.waitFor('nrd-dep.service', 'active');
  assert.is(await sd.show(template, 'ActiveState'), 'active');
  assert.ok((await sd.run('findmnt', [`/run/netns-run/${name}/mntns`])).code === 0, 'no kept mount namespace');
  const first = await mainPid(sd, 'nrd-dep.service');
  assert.is(await netOfPidOnceEntered(sd, first, await netOf(sd, name)), await netOf(sd, name), 'the dependent does not run in the namespace');
  // Inode numbers of freed namespaces are reused: the record with nsfs's ctime tells namespaces apart.
  const made = () => sd.sh(`head -n 1 /run/netns-run/${name}/mntns.for`);
  const before = await made();

  await sd.sh(`systemctl restart ${template}`);
  await sd.waitFor('nrd-dep.service', 'active');
  const second = await mainPid(sd, 'nrd-dep.service');
  assert.is.not(second, first, 'restarting the template did not restart its dependent');
  assert.is.not(await made(), before, '--down and --ensure should have made a new namespace');
  assert.is(await netOfPidOnceEntered(sd, second, await netOf(sd, name)), await netOf(sd, name), 'the restarted dependent is not in the new namespace');

  await sd.sh(`systemctl stop ${template}`);
  assert.is(await sd.show('nrd-dep.service', 'ActiveState'), 'inactive', 'the dependent kept running without its namespace');
  assert.is((await sd.sh(`ls /run/netns /run | grep -c -e '^${name}$' -e '^netns-${name}$' || true`)).trim(), '0', 'the namespace outlived its unit');
});

/** Why the tunnel test cannot run here (the tools its world and netns-run need), or undefined. */
function tunnelMissing(): string | undefined {
  const absent = ['wg', 'wireguard-go', 'dnsmasq', 'curl', 'nft'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  return absent.length > 0 ? `${absent.join(', ')} not installed (Debian: wireguard-tools, wireguard-go, dnsmasq-base, curl, nftables)` : undefined;
}
const noTunnel = missing ? undefined : tunnelMissing();
if (noTunnel) skipReason(`systemd tunnel test: ${noTunnel}`);

/** Polls an inside shell COMMAND until it succeeds; false after boundMs. */
async function insideEventually(sd: Booted, command: string, boundMs = 10_000): Promise<boolean> {
  const until = Date.now() + boundMs;
  for (;;) {
    if ((await sd.run('sh', ['-c', command])).code === 0) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

(noTunnel ? test.skip : check)('the template unit with a WireGuard file: enable --now makes the namespace and its tunnel, a service reaches the world\'s server by name through it, stop removes tunnel and wireguard-go', async ({ sd }) => {
  const name = NS.wg;
  const template = `netns-run@${name}.service`;
  // The world (support/world.ts) is namespaces of the test's own; booted systemd has a network of its own, so a veth joins
  // the world's "internet" to it, and only the VPN server's subnet is routed there: the tunnel is the way to the web server.
  const world = await makeWorld();
  let daemons: string[] = [];
  try {
    run('ip', ['-n', world.internet, 'link', 'add', 'nrdw0', 'type', 'veth', 'peer', 'name', 'nrdw1', 'netns', String(sd.pid)]);
    run('ip', ['-n', world.internet, '-batch', '-'], 'address add 10.204.0.1/24 dev nrdw0\nlink set nrdw0 up\n');
    await sd.sh('ip address add 10.204.0.2/24 dev nrdw1 && ip link set nrdw1 up && ip route add 10.202.0.0/24 via 10.204.0.1');
    const direct = await sd.run('curl', ['-sS', '--max-time', '2', `http://${WEB}/`]);
    assert.is.not(direct.code, 0, 'the web server is reachable without the tunnel: the test proves nothing');
    sd.write(`/etc/netns-run/${name}/wg0.conf`, world.clientConfig(), 0o600);

    await sd.sh(`systemctl enable --now ${template}`);
    assert.is(await sd.show(template, 'ActiveState'), 'active');
    assert.is((await sd.sh(`ip -n ${name} -o link show | awk -F': ' '{print $2}' | sort | tr '\\n' ' '`)).trim(), 'lo wg0', 'inside: not only lo and the tunnel');
    daemons = (await sd.sh('pgrep -x wireguard-go || true')).trim().split('\n').filter(Boolean);
    assert.is(daemons.length, 1, `wireguard-go processes: ${daemons.join(' ')}`);
    // The encrypted packets leave from systemd's own network, where the tunnel was made before it moved in.
    assert.is(await netOfPid(sd, Number(daemons[0])), (await sd.sh('readlink /proc/1/ns/net')).trim(), 'wireguard-go does not run in the host\'s network');
    assert.is(await sd.show(template, 'ControlGroup'), (await sd.sh(`sed -n 's/^0:://p' /proc/${daemons[0]}/cgroup`)).trim(), 'wireguard-go is not in the template unit\'s cgroup');

    const started = await sd.run('systemctl', ['start', 'nrd-wg.service']);
    const out = readFileSync(join(sd.work, 'out', 'wg'), 'utf8');
    assert.is(started.code, 0, `${out}\n${await sd.journal('nrd-wg.service')}`);
    assert.equal(out.trim().split('\n'), [`nameserver ${WEB}`, 'links lo wg0', VPN_ADDRESS], 'not the tunnel\'s DNS, links and way out');
    // The servers saw it come out of the VPN server: HTTP and the lookup of ifconfig.me both went through the tunnel.
    const seen = (log: () => string, pattern: RegExp) => eventually(() => pattern.test(log()), 3_000);
    const vpn = VPN_ADDRESS.replace(/\./g, '\\.');
    assert.ok(await seen(world.webLog, new RegExp(`request ${vpn} ifconfig\\.me`)), world.webLog());
    assert.ok(await seen(world.dnsLog, new RegExp(`query\\[A\\] ifconfig\\.me from ${vpn}`)), world.dnsLog());

    await sd.sh(`systemctl disable --now ${template}`);
    assert.is(await sd.show('nrd-wg.service', 'ActiveState'), 'inactive');
    assert.ok(await insideEventually(sd, '! pgrep -x wireguard-go'), `wireguard-go is left after stop: ${await sd.sh('pgrep -a wireguard-go || true')}`);
    assert.is((await sd.run('test', ['-e', `/run/netns/${name}`])).code, 1, 'the namespace outlived its unit');
    assert.is((await sd.run('test', ['-e', `/run/netns-run/${name}`])).code, 1, 'the state directory (tunnel records) outlived its unit');
    assert.is((await sd.sh('ip -o link show | grep -c nrwg- || true')).trim(), '0', 'a temporary tunnel interface is left in the host\'s network');
    // --down leaves configuration alone.
    assert.is((await sd.run('test', ['-f', `/etc/netns-run/${name}/wg0.conf`])).code, 0, 'the WireGuard file was removed');
  } finally {
    await sd.run('systemctl', ['disable', '--now', template]);
    // wireguard-go of the tunnel must not outlive this test: the leak check after the file looks for it by name.
    for (const pid of daemons) await sd.run('kill', ['-KILL', pid]);
    world.close();
  }
});

check('Type=notify with NotifyAccess=main: READY=1 comes from the main PID, which runs in the namespace', async ({ sd }) => {
  const name = NS.notify;
  await sd.sh('systemctl start nrd-notify.service');
  assert.is(await sd.show('nrd-notify.service', 'ActiveState'), 'active');
  const log = readFileSync(join(sd.work, 'out', 'notify.log'), 'utf8');
  assert.match(log, /^notified$/m);
  const pid = await mainPid(sd, 'nrd-notify.service');
  assert.match(log, new RegExp(`^pid ${pid}$`, 'm'), `systemd's MainPID ${pid} is not the daemon's PID: ${log}`);
  assert.is(await netOfPid(sd, pid), await netOf(sd, name));
  await sd.sh('systemctl stop nrd-notify.service');
});

check('socket activation of a unix socket (Accept=yes): the connection is the daemon\'s stdin and stdout, the daemon in the namespace', async ({ sd }) => {
  const name = NS.sock;
  await sd.sh(`netns-run --ensure ${name}`);
  await sd.sh('systemctl start nrd-unix.socket');
  const answer = await sd.run('socat', ['-t', '5', '-', 'UNIX-CONNECT:/run/nrd-unix.sock'], { input: 'hello\n' });
  assert.is(answer.code, 0, answer.stderr);
  assert.is(answer.stdout, `${await netOf(sd, name)}\ngot hello\n`);
  await sd.sh('systemctl stop nrd-unix.socket');
});

check('socket activation over TCP is port forwarding: the socket listens in the host\'s network, the daemon reaches a port only the namespace has', async ({ sd }) => {
  const name = NS.tcp;
  await sd.sh(`netns-run --ensure ${name}`);
  // A server on the namespace's own loopback: nothing in the host can reach it.
  await sd.sh('systemctl start nrd-web.service nrd-fwd.socket');
  await sd.sh(`for i in $(seq 100); do ip netns exec ${name} ss -Hltn 'sport = :8080' | grep -q . && exit 0; sleep 0.05; done; exit 1`);
  const direct = await sd.run('socat', ['-u', 'TCP:127.0.0.1:8080', '-']);
  assert.is.not(direct.code, 0, 'the namespace\'s port 8080 is reachable from the host: the test proves nothing');
  const forwarded = await sd.run('socat', ['-u', 'TCP:127.0.0.1:18080', '-']);
  assert.is(forwarded.code, 0, forwarded.stderr);
  assert.is(forwarded.stdout, `served in ${name}\n`);
  assert.is(await netOfPid(sd, await mainPid(sd, 'nrd-fwd.service')), await netOf(sd, name), 'the proxy does not run in the namespace');
  assert.match(await sd.sh('ss -Hltn'), /127\.0\.0\.1:18080/, 'the activation socket is not in the host\'s network');
  await sd.sh('systemctl stop nrd-fwd.socket nrd-fwd.service nrd-web.service');
});

/** systemd 253 and later mount a /sys of the service's network namespace (NetworkNamespacePath= implies PrivateMounts=). */
async function systemdRemountsSys(sd: Booted): Promise<boolean> {
  return Number(/systemd (\d+)/.exec(await sd.sh('systemctl --version'))?.[1]) >= 253;
}

for (const [unit, name, hardening] of DROP_UNITS) {
  check(`the --unit drop-in on a ${hardening ? 'hardened' : 'plain'} service: the namespace, its resolv.conf, the empty /run/nscd; /sys as documented`, async ({ sd }) => {
    await sd.sh(`systemctl start ${unit}`);
    const seen = fields(readFileSync(join(sd.work, 'out', unit), 'utf8'));
    assert.is(seen.get('net'), await netOf(sd, name));
    assert.is(seen.get('resolv'), await resolvOf(sd, name), 'not the namespace\'s resolv.conf');
    assert.is(seen.get('nscd'), '0 writable', 'not the empty directory a run has, writable by root as there');
    // Under netns-run /sys shows only the namespace's links; systemd 252 cannot give a unit that.
    const links = seen.get('links')!.trim();
    if (await systemdRemountsSys(sd)) assert.is(links, 'lo');
    else assert.ok(links.includes('nrdv0'), `systemd < 253 leaves the host's /sys (README says so); it showed ${links}`);
    await sd.sh(`systemctl stop netns-run@${name}.service`);
  });
}

check('a hardened unit with netns-run in ExecStart=: DNS isolation and the unit\'s own hardening both hold, nothing is written', async ({ sd }) => {
  const name = NS.hard;
  await sd.sh(`systemctl start netns-run@${name}.service; echo s >/mnt/work/secret/f; mkdir -p /home/nrd-visible`);
  const state = await sd.sh(`find /run/netns-run/${name} /etc/netns/${name} -printf '%p %s %T@ %C@\\n'`);
  const started = await sd.run('systemctl', ['start', 'nrd-hard.service']);
  assert.is(started.code, 0, await sd.journal('nrd-hard.service'));
  const seen = fields(readFileSync(join(sd.work, 'out', 'hard'), 'utf8'));
  assert.is(seen.get('net'), await netOf(sd, name));
  assert.is(seen.get('resolv'), await resolvOf(sd, name), 'DNS isolation lost: not the namespace\'s resolv.conf');
  assert.is(seen.get('links')!.trim(), 'lo', '/sys shows links of another namespace');
  assert.match(seen.get('nscd')!, /^0 /, 'the host\'s nscd directory shows');
  assert.is(seen.get('secret'), 'hidden', 'InaccessiblePaths= was undone');
  assert.is(seen.get('home'), '0', 'ProtectHome= was undone');
  assert.is(seen.get('tmp'), 'ok');
  assert.is((await sd.run('test', ['-e', '/tmp/nrd-private'])).code, 1, 'PrivateTmp= was undone');
  assert.is(seen.get('etc'), 'read-only', 'ProtectSystem=strict was undone');
  assert.is(seen.get('dev'), 'private', 'PrivateDevices= was undone');
  assert.is(await sd.sh(`find /run/netns-run/${name} /etc/netns/${name} -printf '%p %s %T@ %C@\\n'`), state, 'the run changed the state directory');
  await sd.sh(`systemctl stop netns-run@${name}.service`);
});

check('a hardened unit whose namespace does not exist yet: one line saying to start netns-run@NAME first, status 125', async ({ sd }) => {
  const name = NS.none;
  const started = await sd.run('systemctl', ['start', 'nrd-early.service']);
  assert.is.not(started.code, 0);
  assert.is(await sd.show('nrd-early.service', 'ExecMainStatus'), '125');
  const lines = (await sd.journal('nrd-early.service')).split('\n').filter((l) => l.startsWith('netns-run:'));
  assert.equal(lines, [`netns-run: cannot set up namespace ${name} here: /run is read-only (a systemd unit with ProtectSystem=?); have it made outside first: Requires= and After=netns-run@${name}.service`]);
  assert.is((await sd.run('test', ['-e', `/run/netns/${name}`])).code, 1, 'something was made');
});

check('journal lines of a unit whose ExecStart= is netns-run are tagged netns-run, or what SyslogIdentifier= says', async ({ sd }) => {
  await sd.sh('systemctl start nrd-untagged.service nrd-tagged.service');
  // journald takes the lines from a stream: wait until both are in.
  await sd.sh('for i in $(seq 100); do journalctl -o cat -t nrd-tagged | grep -q nrd-tagged-line && journalctl -o cat -t netns-run | grep -q nrd-untagged-line && exit 0; sleep 0.05; done; exit 1');
  assert.not.match(await sd.sh('journalctl -o cat -t netns-run'), /nrd-tagged-line/);
});

/** A user with a running user manager, and netns-run allowed to it through sudo. */
async function sudoUser(sd: Booted, user: string, name: string, keepNotify: boolean): Promise<number> {
  await sd.sh(`id ${user} >/dev/null 2>&1 || useradd -m ${user}`);
  const uid = Number((await sd.sh(`id -u ${user}`)).trim());
  const keep = keepNotify ? 'Defaults!/usr/bin/netns-run env_keep += "NOTIFY_SOCKET"\n' : '';
  sd.write('/etc/sudoers.d/nrd-sd', `${keep}${user} ALL=(root) NOPASSWD: /usr/bin/netns-run\n`, 0o440);
  await sd.sh('visudo -c -q');
  sd.write('/etc/netns-run.conf', `allow ${user} ${name}\n`);
  await sd.sh(`systemctl start user@${uid}.service`);
  return uid;
}

async function userSystemctl(sd: Booted, user: string, uid: number, args: string[]) {
  return sd.run('systemctl', ['--user', ...args], { user, env: { XDG_RUNTIME_DIR: `/run/user/${uid}`, DBUS_SESSION_BUS_ADDRESS: `unix:path=/run/user/${uid}/bus` } });
}

check('a user unit with Type=notify through sudo: starts with env_keep NOTIFY_SOCKET in sudoers, times out without', async ({ sd }) => {
  const name = NS.user;
  const user = 'nrd-sduser';
  await sd.sh(`netns-run --ensure ${name}`);

  let uid = await sudoUser(sd, user, name, false);
  const without = await userSystemctl(sd, user, uid, ['start', 'nrd-user-quick.service']);
  assert.is.not(without.code, 0, 'started although sudo removed NOTIFY_SOCKET: the sudoers line would not be needed');
  assert.match(readFileSync(join(sd.work, 'out', 'user-notify.log'), 'utf8'), /^env NOTIFY_SOCKET$/m, 'NOTIFY_SOCKET reached the daemon');

  uid = await sudoUser(sd, user, name, true);
  const started = await userSystemctl(sd, user, uid, ['start', 'nrd-user.service']);
  assert.is(started.code, 0, started.stderr);
  const log = readFileSync(join(sd.work, 'out', 'user-notify.log'), 'utf8').split('ready\n').at(-2) ?? '';
  assert.match(log, new RegExp(`^uid ${uid}$`, 'm'), 'the daemon does not run as the user');
  const pid = Number(/^pid (\d+)$/m.exec(log)?.[1]);
  assert.is(await netOfPid(sd, pid), await netOf(sd, name));
  await userSystemctl(sd, user, uid, ['stop', 'nrd-user.service']);
  await sd.sh(`rm -f /etc/sudoers.d/nrd-sd /etc/netns-run.conf; systemctl stop user@${uid}.service`);
});

/** The polkit rule of SECURITY.md, word for word, for group GROUP. */
function securityRule(group: string): string {
  const text = readFileSync(join(ROOT, 'SECURITY.md'), 'utf8');
  const rule = /```js\n([\s\S]*?polkit\.addRule[\s\S]*?)```/.exec(text)?.[1];
  assert.ok(rule, 'no polkit rule in SECURITY.md');
  return rule!.replace('isInGroup("netns")', `isInGroup("${group}")`);
}

check('pkexec with polkitd: the SECURITY.md rule lets the group in; a refusal and a missing agent end as one line of netns-run\'s and 125', async ({ sd }) => {
  const name = NS.pk;
  await sd.sh(`netns-run --ensure ${name}; groupadd nrd-pk; useradd -m -G nrd-pk nrd-pkyes; useradd -m nrd-pkno; useradd -m nrd-pknoagent`);
  sd.write('/etc/netns-run.conf', `elevate pkexec\nallow %nrd-pk ${name}\nallow nrd-pkno ${name}\nallow nrd-pknoagent ${name}\n`);

  const yes = await sd.run('netns-run', [name, '--', 'sh', '-c', 'id -un; readlink /proc/self/ns/net; pwd'], { user: 'nrd-pkyes' });
  assert.is(yes.code, 0, yes.stderr);
  assert.is(yes.stdout, `nrd-pkyes\n${await netOf(sd, name)}\n/\n`);

  // pkexec's own failure ends as netns-run's line and 125 (issue 10): its own words may come before, on the
  // standard error it hands to the command, but the last line is ours and the status is never the command's 127.
  const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';
  const no = await sd.run('netns-run', [name, '--', 'true'], { user: 'nrd-pkno' });
  assert.is(no.code, 125, no.stderr);
  assert.match(lastLine(no.stderr), /^netns-run: pkexec did not give netns-run root: polkit refused nrd-pkno/);
  const noAgent = await sd.run('netns-run', [name, '--', 'true'], { user: 'nrd-pknoagent' });
  assert.is(noAgent.code, 125, noAgent.stderr);
  assert.match(lastLine(noAgent.stderr), /^netns-run: pkexec did not give netns-run root: .*no authentication agent/);
  process.stdout.write(`# pkexec refused: ${JSON.stringify(no.stderr)}\n# pkexec without agent: ${JSON.stringify(noAgent.stderr)}\n`);
  await sd.sh('rm -f /etc/netns-run.conf');
});

test.run();
