import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Caller } from '../../src/caller.js';
import { pathsFor } from '../../src/name.js';
import { planEnsure, type NamespaceFacts } from '../../src/ensure/plan.js';
import { planEntry, type EntryInput } from '../../src/exec/plan.js';

/** A namespace netns-run made earlier and nothing has changed since: the warm path. */
const CURRENT: NamespaceFacts = {
  netns: 'mounted',
  stateRoot: 'mounted',
  mntns: 'current',
  resolvConf: true,
  nsswitchConf: true,
  missingHostPaths: [],
  replacedCovers: [],
  tunnels: 'none',
  networkConf: 'none',
  deadForwards: false,
  deadNscd: false,
};

/** First use on a typical host: nothing of NAME exists, the host's /etc files and /run/nscd do. */
const NOTHING: NamespaceFacts = {
  ...CURRENT,
  netns: 'missing',
  stateRoot: 'unmounted',
  mntns: 'missing',
  resolvConf: false,
  nsswitchConf: false,
};

test('a dead forward: a run starts it again on its own, without applying network.conf again; a namespace made again makes them all', () => {
  assert.equal(planEnsure({ ...CURRENT, networkConf: 'made', deadForwards: true }), ['restart-forwards']);
  const again = planEnsure({ ...CURRENT, netns: 'stale', networkConf: 'made', deadForwards: true });
  assert.ok(again.includes('make-forwards') && !again.includes('restart-forwards'), again.join(' '));
});

test('a dead nscd: a run starts it again after the kept mount namespace stands; a namespace made again starts it with the rest', () => {
  assert.equal(planEnsure({ ...CURRENT, networkConf: 'made', deadNscd: true }), ['restart-nscd']);
  const remade = planEnsure({ ...CURRENT, mntns: 'stale', networkConf: 'made', deadNscd: true });
  assert.ok(remade.indexOf('create-mntns') >= 0 && remade.indexOf('create-mntns') < remade.indexOf('restart-nscd'), remade.join(' '));
  const again = planEnsure({ ...CURRENT, netns: 'stale', networkConf: 'made', deadNscd: true });
  assert.ok(again.includes('start-nscd') && !again.includes('restart-nscd'), again.join(' '));
});

test('tunnels: made after the namespace, on first use and when a file was added; none on the warm path', () => {
  assert.equal(planEnsure({ ...CURRENT, tunnels: 'made' }), []);
  assert.equal(planEnsure({ ...CURRENT, tunnels: 'missing' }), ['make-tunnels']);
  const first = planEnsure({ ...NOTHING, tunnels: 'missing' });
  assert.ok(first.indexOf('create-netns') >= 0 && first.indexOf('create-netns') < first.indexOf('make-tunnels'), first.join(' '));
  // Before the resolver defaults, which take DNS = from the files.
  assert.ok(first.indexOf('make-tunnels') < first.indexOf('default-resolv-conf'), first.join(' '));
  // A namespace made again has none of the old one's interfaces.
  assert.ok(planEnsure({ ...CURRENT, netns: 'stale', tunnels: 'made' }).includes('make-tunnels'));
  assert.not.ok(planEnsure({ ...NOTHING, tunnels: 'none' }).includes('make-tunnels'));
});

test('network.conf: settings before any interface, links after the tunnels, nscd and hooks after the mount namespace, recorded last', () => {
  assert.equal(planEnsure({ ...CURRENT, networkConf: 'made' }), []);
  assert.equal(planEnsure({ ...CURRENT, networkConf: 'missing' }), ['configure-inside', 'make-links', 'make-forwards', 'start-nscd', 'run-up-hooks', 'record-network']);
  const first = planEnsure({ ...NOTHING, tunnels: 'missing', networkConf: 'missing' });
  const at = (name: string) => first.indexOf(name as never);
  assert.ok(at('create-netns') < at('configure-inside') && at('configure-inside') < at('make-tunnels'), first.join(' '));
  assert.ok(at('make-tunnels') < at('make-links') && at('make-links') < at('make-forwards'), first.join(' '));
  assert.ok(at('create-mntns') < at('start-nscd') && at('start-nscd') < at('run-up-hooks') && at('run-up-hooks') < at('record-network'), first.join(' '));
  // A namespace made again has none of the old one's settings, links or processes.
  assert.ok(planEnsure({ ...CURRENT, netns: 'stale', networkConf: 'made' }).includes('make-links'));
  assert.not.ok(planEnsure({ ...NOTHING }).includes('configure-inside'));
});

test('the host replaced a covered file: the kept mount namespace is repaired in place, nothing else', () => {
  assert.equal(planEnsure({ ...CURRENT, replacedCovers: ['/etc/resolv.conf'] }), ['rebind-replaced-covers']);
  // Replaced by nothing at all: a mount point first, then the bind again.
  assert.equal(planEnsure({ ...CURRENT, missingHostPaths: ['resolv-conf'], replacedCovers: ['/etc/resolv.conf'] }), [
    'host-mount-point-resolv-conf',
    'rebind-replaced-covers',
  ]);
  // A stale mount namespace is made anew, which covers everything anyway.
  assert.not.ok(planEnsure({ ...CURRENT, mntns: 'stale', replacedCovers: [] }).includes('rebind-replaced-covers'));
});

test('everything current: no steps (the warm path takes no lock)', () => {
  assert.equal(planEnsure(CURRENT), []);
});

test('nothing exists: the full cold sequence, in order', () => {
  assert.equal(planEnsure(NOTHING), [
    'make-state-root-private',
    'create-netns',
    'default-resolv-conf',
    'default-nsswitch-conf',
    'create-mntns',
  ]);
});

test('nothing exists on a host without resolv.conf, nsswitch.conf or /run/nscd: mount points are made before the mount namespace', () => {
  assert.equal(planEnsure({ ...NOTHING, missingHostPaths: ['resolv-conf', 'nsswitch-conf', 'nscd'] }), [
    'make-state-root-private',
    'create-netns',
    'default-resolv-conf',
    'default-nsswitch-conf',
    'host-mount-point-resolv-conf',
    'host-mount-point-nsswitch-conf',
    'host-mount-point-nscd',
    'create-mntns',
  ]);
});

test('a namespace made by someone else (ip netns add) is used, never created or removed', () => {
  const steps = planEnsure({ ...NOTHING, netns: 'mounted' });
  assert.equal(steps, ['make-state-root-private', 'default-resolv-conf', 'default-nsswitch-conf', 'create-mntns']);
  assert.not.ok(steps.includes('create-netns'));
  assert.not.ok(steps.includes('remove-stale-netns'));
});

test('a foreign namespace whose administrator wrote /etc/netns/NAME: only the mount namespace is made', () => {
  assert.equal(planEnsure({ ...CURRENT, stateRoot: 'unmounted', mntns: 'missing' }), ['make-state-root-private', 'create-mntns']);
});

test('a stale netns file (no mount) is removed, then the namespace created, and the old mount namespace replaced', () => {
  assert.equal(planEnsure({ ...CURRENT, netns: 'stale', mntns: 'stale' }), [
    'remove-stale-netns',
    'create-netns',
    'remove-stale-mntns',
    'create-mntns',
  ]);
});

test('a stale mntns alone is replaced; the network namespace is kept', () => {
  assert.equal(planEnsure({ ...CURRENT, mntns: 'stale' }), ['remove-stale-mntns', 'create-mntns']);
});

test('a missing mntns alone is made; nothing is removed', () => {
  assert.equal(planEnsure({ ...CURRENT, mntns: 'missing' }), ['create-mntns']);
});

test('mntns current but the network namespace is gone: recreate it and replace the mount namespace (its /sys is the old one)', () => {
  assert.equal(planEnsure({ ...CURRENT, netns: 'missing' }), ['create-netns', 'remove-stale-mntns', 'create-mntns']);
  assert.equal(planEnsure({ ...CURRENT, netns: 'stale' }), ['remove-stale-netns', 'create-netns', 'remove-stale-mntns', 'create-mntns']);
});

test('only resolv.conf missing: write the default, nothing else', () => {
  assert.equal(planEnsure({ ...CURRENT, resolvConf: false }), ['default-resolv-conf']);
  assert.equal(planEnsure({ ...CURRENT, nsswitchConf: false }), ['default-nsswitch-conf']);
});

test('the state root is made a private mount once, for every namespace: never again once it is one', () => {
  assert.equal(planEnsure({ ...CURRENT, stateRoot: 'unmounted', mntns: 'missing' }), ['make-state-root-private', 'create-mntns']);
  assert.equal(planEnsure({ ...CURRENT, mntns: 'missing' }), ['create-mntns']);
});

test('missing host mount points do not matter while the mount namespace is current', () => {
  assert.equal(planEnsure({ ...CURRENT, missingHostPaths: ['resolv-conf', 'nsswitch-conf', 'nscd'] }), []);
});

test('every plan keeps the order dependencies', () => {
  const before = (steps: string[], a: string, b: string) => {
    if (steps.includes(a) && steps.includes(b)) assert.ok(steps.indexOf(a) < steps.indexOf(b), `${a} after ${b} in ${steps.join(',')}`);
  };
  let plans = 0;
  for (const netns of ['mounted', 'missing', 'stale'] as const)
    for (const stateRoot of ['mounted', 'unmounted'] as const)
      for (const mntns of ['current', 'missing', 'stale'] as const)
        for (const flag of [true, false]) {
          const steps = planEnsure({ ...CURRENT, netns, stateRoot, mntns, resolvConf: flag, nsswitchConf: flag, missingHostPaths: flag ? [] : ['resolv-conf', 'nsswitch-conf', 'nscd'] });
          plans += 1;
          assert.equal(steps.length, new Set(steps).size, `a step twice: ${steps.join(',')}`);
          // A usable namespace pair needs both: netns mounted and mntns current.
          assert.is(steps.includes('create-netns'), netns !== 'mounted', `${netns}: ${steps.join(',')}`);
          assert.is(steps.includes('create-mntns'), netns !== 'mounted' || mntns !== 'current', `${netns}/${mntns}: ${steps.join(',')}`);
          assert.is(steps.includes('remove-stale-netns'), netns === 'stale');
          for (const [a, b] of [
            ['make-state-root-private', 'create-mntns'],
            ['remove-stale-netns', 'create-netns'],
            ['create-netns', 'create-mntns'],
            ['default-resolv-conf', 'create-mntns'],
            ['default-nsswitch-conf', 'create-mntns'],
            ['host-mount-point-resolv-conf', 'create-mntns'],
            ['host-mount-point-nsswitch-conf', 'create-mntns'],
            ['host-mount-point-nscd', 'create-mntns'],
            ['remove-stale-mntns', 'create-mntns'],
          ] as const) before(steps, a, b);
        }
  assert.is(plans, 36);
});

const TOOLS = { nsenter: '/usr/bin/nsenter', setpriv: '/usr/bin/setpriv', env: '/usr/bin/env' };
const ROOT: Caller = { elevation: 'root', uid: 0, gid: 0, groups: [0], user: 'root', home: '/root', shell: '/bin/bash' };
const ALICE: Caller = { elevation: 'sudo', uid: 1000, gid: 1001, groups: [1001, 27, 100], user: 'alice', home: '/home/alice', shell: '/bin/bash' };

function input(overrides: Partial<EntryInput> = {}): EntryInput {
  return {
    tools: TOOLS,
    paths: pathsFor('wg'),
    caller: ALICE,
    directory: '/home/alice/my dir',
    command: ['curl', '-v', 'https://example.org'],
    environment: { helpers: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' }, restore: [] },
    route: 'execve',
    ...overrides,
  };
}

test('planEntry for root: nsenter, setpriv as root with its groups and capabilities, env, command', () => {
  const plan = planEntry(input({ caller: ROOT, directory: '/root' }));
  assert.is(plan.file, '/usr/bin/nsenter');
  assert.is(plan.route, 'execve');
  assert.equal(plan.argv, [
    '/usr/bin/nsenter', '--net=/run/netns/wg', '--mount=/run/netns-run/wg/mntns', '--',
    '/usr/bin/setpriv', '--reuid=0', '--regid=0', '--groups=0', '--',
    '/usr/bin/env', '--default-signal=PIPE,XFSZ', '--chdir=/root', '--',
    'curl', '-v', 'https://example.org',
  ]);
  assert.equal(plan.env, { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' });
});

test('planEntry for a user: their uid, gid and groups, no inheritable or ambient capabilities', () => {
  const plan = planEntry(input());
  assert.equal(plan.argv, [
    '/usr/bin/nsenter', '--net=/run/netns/wg', '--mount=/run/netns-run/wg/mntns', '--',
    '/usr/bin/setpriv', '--reuid=1000', '--regid=1001', '--groups=1001,27,100', '--inh-caps=-all', '--ambient-caps=-all', '--',
    '/usr/bin/env', '--default-signal=PIPE,XFSZ', '--chdir=/home/alice/my dir', '--',
    'curl', '-v', 'https://example.org',
  ]);
  assert.is(plan.file, plan.argv[0]);
});

test('planEntry on the spawn path asks setpriv for SIGKILL on parent death; the execve path does not', () => {
  const spawned = planEntry(input({ route: 'spawn' }));
  assert.is(spawned.route, 'spawn');
  const setprivEnd = spawned.argv.indexOf('--', spawned.argv.indexOf('/usr/bin/setpriv'));
  assert.equal(spawned.argv.slice(spawned.argv.indexOf('/usr/bin/setpriv'), setprivEnd + 1), [
    '/usr/bin/setpriv', '--reuid=1000', '--regid=1001', '--groups=1001,27,100', '--inh-caps=-all', '--ambient-caps=-all', '--pdeathsig=SIGKILL', '--',
  ]);
  assert.not.ok(planEntry(input({ route: 'execve' })).argv.some((word) => word.startsWith('--pdeathsig')));
  assert.ok(planEntry(input({ caller: ROOT, route: 'spawn' })).argv.includes('--pdeathsig=SIGKILL'));
});

test('planEntry with no supplementary groups clears them rather than keeping root\'s', () => {
  const argv = planEntry(input({ caller: { ...ALICE, groups: [] } })).argv;
  assert.ok(argv.includes('--clear-groups'));
  assert.not.ok(argv.some((word) => word.startsWith('--groups')));
  assert.ok(argv.indexOf('--clear-groups') > argv.indexOf('/usr/bin/setpriv'));
  assert.ok(argv.indexOf('--clear-groups') < argv.indexOf('/usr/bin/env'));
});

test('planEntry puts restore words after env\'s -- and before the command; helpers get none of them', () => {
  const plan = planEntry(input({
    environment: { helpers: { PATH: '/usr/bin' }, restore: ['LD_PRELOAD=/home/alice/x.so', 'TMPDIR=/home/alice/tmp'] },
    command: ['--weird-name', '--', 'a=b'],
  }));
  const envAt = plan.argv.indexOf('/usr/bin/env');
  const tail = plan.argv.slice(envAt);
  assert.equal(tail, [
    '/usr/bin/env', '--default-signal=PIPE,XFSZ', '--chdir=/home/alice/my dir', '--',
    'LD_PRELOAD=/home/alice/x.so', 'TMPDIR=/home/alice/tmp',
    '--weird-name', '--', 'a=b',
  ]);
  // Nothing the loader reads is before env (which runs as the caller) in argv or in the helpers' environment.
  assert.not.ok(plan.argv.slice(0, envAt).some((word) => word.includes('LD_PRELOAD') || word.includes('TMPDIR')));
  assert.equal(plan.env, { PATH: '/usr/bin' });
});

test('planEntry uses the namespace\'s own paths and the tools it was given', () => {
  const plan = planEntry(input({ paths: pathsFor('vpn.0'), tools: { nsenter: '/sbin/nsenter', setpriv: '/bin/setpriv', env: '/bin/env' } }));
  assert.equal(plan.argv.slice(0, 5), ['/sbin/nsenter', '--net=/run/netns/vpn.0', '--mount=/run/netns-run/vpn.0/mntns', '--', '/bin/setpriv']);
  assert.is(plan.file, '/sbin/nsenter');
  assert.ok(plan.argv.includes('/bin/env'));
});

test.run();

test('planEntry where the kept mount namespace is out of reach: the network namespace, then a mount namespace of the caller\'s made for this run, the covers, then the same chain', () => {
  const covering = { kind: 'per-run', tools: { unshare: '/usr/bin/unshare', sh: '/bin/sh', mount: '/bin/mount', umount: '/bin/umount' } } as const;
  const kept = planEntry(input());
  const perRun = planEntry(input({ covering }));
  const setpriv = perRun.argv.indexOf('/usr/bin/setpriv');
  const script = perRun.argv[perRun.argv.indexOf('-c') + 1];
  assert.equal(perRun.argv.slice(0, setpriv), [
    '/usr/bin/nsenter', '--net=/run/netns/wg', '--',
    '/usr/bin/unshare', '--mount', '--propagation', 'slave', '--',
    '/bin/sh', '-c', script, 'netns-run-covers', '/bin/mount', '/bin/umount', 'wg',
    'file', '/run/netns-run/wg/resolv.conf', '/etc/resolv.conf',
    'file', '/run/netns-run/wg/nsswitch.conf', '/etc/nsswitch.conf',
    'directory', '/run/netns-run/wg/nscd', '/run/nscd',
    '--',
  ]);
  // Nothing of the kept namespace is entered, and from setpriv on the chain is the same.
  assert.not.ok(perRun.argv.some((word) => word.startsWith('--mount=')));
  assert.equal(perRun.argv.slice(setpriv), kept.argv.slice(kept.argv.indexOf('/usr/bin/setpriv')));
  assert.is(perRun.verbatim, kept.verbatim);
  // It execs the rest (the PID is kept) and fails as netns-run does when a cover cannot be made.
  assert.match(script!, /\nexec "\$@"$/);
  assert.match(script!, /exit 125/);
  assert.equal(planEntry(input({ covering: { kind: 'kept' } })).argv, kept.argv);
});
