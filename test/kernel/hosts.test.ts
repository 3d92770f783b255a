// netns-run on hosts unlike this one, each imitated in a sandbox (a private
// mount namespace): a systemd host (shared /), a container (netns-run itself
// in a non-initial mount namespace), /etc/resolv.conf as a symlink to a stub,
// dangling or missing, no /run/nscd. And /sys inside shows the namespace's
// own interfaces.
import { readdirSync, readFileSync } from 'node:fs';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { affinity, describe, sandbox, type SandboxResult } from '../support/sandbox.js';
import { isRoot, netnsRun, removeNamespace, sh, trySh, uniqueName } from '../support/netns-run.js';
import { skippable } from '../support/skip.js';

const test = skippable(uvuTest, isRoot ? undefined : 'host kernel tests need root (namespaces, mounts, veth)');

const HOST_RESOLV_CONF = isRoot ? readFileSync('/etc/resolv.conf', 'utf8') : '';

function section(result: SandboxResult, key: string): string {
  const text = result.sections[key];
  assert.ok(text !== undefined, `the sandbox printed no "${key}": ${describe(result)}`);
  return text!;
}

function nameservers(text: string): string[] {
  return text.split('\n').map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1]).filter((s): s is string => s !== undefined);
}

{
  test("/sys inside shows the namespace's own interfaces: lo and a veth end moved in, none of the host's", async () => {
    const name = uniqueName('sys');
    const outer = `nrv${process.pid}a`.slice(0, 15);
    const inner = `nrv${process.pid}b`.slice(0, 15);
    try {
      const first = await netnsRun([name, '--', 'true']);
      assert.is(first.code, 0, first.stderr);
      // Made after first use: /sys inside must follow the namespace, not a snapshot.
      sh(`ip link add ${outer} type veth peer name ${inner} && ip link set ${inner} netns ${name}`);
      const result = await netnsRun([name, '--', 'ls', '/sys/class/net']);
      assert.is(result.code, 0, result.stderr);
      const seen = result.stdout.split('\n').filter(Boolean).sort();
      assert.equal(seen, [inner, 'lo'].sort());
      const hostOnly = readdirSync('/sys/class/net').filter((n) => n !== 'lo');
      assert.ok(hostOnly.includes(outer) && !hostOnly.includes(inner), `the host's /sys is not what the test expects: ${hostOnly.join(' ')}`);
      const index = await netnsRun([name, '--', 'cat', `/sys/class/net/${inner}/ifindex`]);
      assert.is(index.stdout.trim(), sh(`ip -n ${name} -o link show ${inner}`).split(':')[0], `/sys/class/net/${inner} inside is not the namespace's ${inner}`);
    } finally {
      trySh(`ip link delete ${outer}`);
      removeNamespace(name);
    }
  });

  test('a systemd-like host (/ shared): works on first use and again on the second, and nothing leaks to the host', async () => {
    const name = uniqueName('shr');
    try {
      const result = await sandbox(
        `section propagation; findmnt -n -o PROPAGATION /
section first; netns_run "$NAME" -- cat /etc/resolv.conf; echo "rc=$?"
section second; netns_run "$NAME" -- cat /etc/resolv.conf; echo "rc=$?"
section expected; cat "/etc/netns/$NAME/resolv.conf"; echo "rc=0"
section host; cat /etc/resolv.conf
section host-mounts; grep -E ' /etc/(resolv|nsswitch)\\.conf | /run/nscd ' /proc/self/mountinfo`,
        { shared: true, env: { NAME: name } },
      );
      assert.is(section(result, 'propagation').trim(), 'shared', 'the sandbox is not a systemd-like host: the test tests nothing');
      const expected = section(result, 'expected');
      assert.is(section(result, 'first'), expected, `first use: ${describe(result)}`);
      assert.is(section(result, 'second'), expected, `second use: ${describe(result)}`);
      assert.equal(nameservers(expected), ['2606:4700:4700::1111', '2001:4860:4860::8888', '1.1.1.1', '8.8.8.8']);
      assert.is(section(result, 'host'), HOST_RESOLV_CONF, "the namespace's resolv.conf leaked into the host's mount namespace");
      assert.is(section(result, 'host-mounts'), '', "netns-run's binds propagated into the host's mount namespace");
    } finally {
      removeNamespace(name);
    }
  });

  test('netns-run inside a non-initial mount namespace (a container) succeeds for 20 fresh namespaces in a row', async () => {
    // Namespace ids come from per-CPU batches (see test/support/sandbox.ts),
    // so a namespace made on one CPU can be "older" than the container's:
    // binding it fails with EINVAL. The container is made on each CPU in turn
    // so that one of them is the unlucky one; netns-run runs on any CPU.
    const cpus = affinity().slice(0, 4);
    if (cpus.length === 0) cpus.push(0);
    const names = Array.from({ length: 20 }, () => uniqueName('ctr'));
    const failures: string[] = [];
    try {
      for (const [index, cpu] of cpus.entries()) {
        const mine = names.filter((_, i) => i % cpus.length === index);
        const result = await sandbox(
          `own=$(readlink /proc/self/ns/mnt)
section own; echo "$own"
for name in $NAMES; do
  inside=$(netns_run "$name" -- readlink /proc/self/ns/mnt); rc=$?
  if [ $rc -ne 0 ]; then echo "$name: exit $rc"; elif [ "$inside" = "$own" ] || [ -z "$inside" ]; then echo "$name: not entered ($inside)"; fi
done 2>&1 | sed 's/^/failed /'`,
          { cpu, spread: true, env: { NAMES: mine.join(' ') } },
        );
        assert.is.not(section(result, 'own').trim(), sh('readlink /proc/self/ns/mnt').trim(), 'the sandbox shares the host mount namespace: the test tests nothing');
        failures.push(...result.stdout.split('\n').filter((l) => l.startsWith('failed ')).map((l) => `(container made on CPU ${cpu}) ${l.slice(7)}`));
        if (result.code !== 0) failures.push(`(container made on CPU ${cpu}) the sandbox ended with ${describe(result)}`);
      }
      assert.equal(failures, [], `${failures.length} failures:\n${failures.join('\n')}`);
    } finally {
      for (const name of names) removeNamespace(name);
    }
  });

  test('/etc/resolv.conf a symlink to a stub: inside reads the namespace\'s file, the stub and the link are unchanged', async () => {
    const name = uniqueName('stub');
    try {
      const result = await sandbox(
        `mkdir "$SANDBOX/resolve" && echo 'nameserver 127.0.0.53' > "$SANDBOX/resolve/stub-resolv.conf"
rm /etc/resolv.conf && ln -s "..$SANDBOX/resolve/stub-resolv.conf" /etc/resolv.conf
section inside; netns_run "$NAME" -- cat /etc/resolv.conf
section expected; cat "/etc/netns/$NAME/resolv.conf"
section stub; cat "$SANDBOX/resolve/stub-resolv.conf"
section link; readlink /etc/resolv.conf`,
        { overlay: ['/etc'], env: { NAME: name } },
      );
      assert.ok(nameservers(section(result, 'expected')).length > 0, `no namespace resolv.conf: ${describe(result)}`);
      assert.is(section(result, 'inside'), section(result, 'expected'), `inside: ${describe(result)}`);
      assert.is(section(result, 'link').trim(), `..${result.scratch}/resolve/stub-resolv.conf`, 'the symlink changed');
      assert.is(section(result, 'stub'), 'nameserver 127.0.0.53\n', 'the stub changed');
    } finally {
      removeNamespace(name);
    }
  });

  test('/etc/resolv.conf a dangling symlink (resolved down): inside reads the namespace\'s file; an empty file is made at the target', async () => {
    const name = uniqueName('dngl');
    try {
      const result = await sandbox(
        `mkdir "$SANDBOX/resolve"
rm /etc/resolv.conf && ln -s "..$SANDBOX/resolve/stub-resolv.conf" /etc/resolv.conf
section inside; netns_run "$NAME" -- cat /etc/resolv.conf
section expected; cat "/etc/netns/$NAME/resolv.conf"
section target; stat -c '%F %s' "$SANDBOX/resolve/stub-resolv.conf"
section link; readlink /etc/resolv.conf`,
        { overlay: ['/etc'], env: { NAME: name } },
      );
      assert.ok(nameservers(section(result, 'expected')).length > 0, `no namespace resolv.conf: ${describe(result)}`);
      assert.is(section(result, 'inside'), section(result, 'expected'), `inside: ${describe(result)}`);
      assert.is(section(result, 'target').trim(), 'regular empty file 0');
      assert.is(section(result, 'link').trim(), `..${result.scratch}/resolve/stub-resolv.conf`, 'the symlink changed');
    } finally {
      removeNamespace(name);
    }
  });

  test("/etc/resolv.conf missing: works, inside reads the namespace's file", async () => {
    const name = uniqueName('nores');
    try {
      const result = await sandbox(
        `rm /etc/resolv.conf
section inside; netns_run "$NAME" -- cat /etc/resolv.conf
section expected; cat "/etc/netns/$NAME/resolv.conf"
section host; stat -c '%F %s' /etc/resolv.conf`,
        { overlay: ['/etc'], env: { NAME: name } },
      );
      assert.ok(nameservers(section(result, 'expected')).length > 0, `no namespace resolv.conf: ${describe(result)}`);
      assert.is(section(result, 'inside'), section(result, 'expected'), `inside: ${describe(result)}`);
      // What the host's resolver reads there is still "no configuration".
      assert.is(section(result, 'host').trim(), 'regular empty file 0');
    } finally {
      removeNamespace(name);
    }
  });

  test('/run/nscd missing on the host: works, and what netns-run made there is an empty directory', async () => {
    const name = uniqueName('nonscd');
    try {
      const result = await sandbox(
        `rm -rf /run/nscd
section before; test -e /run/nscd && echo present || echo absent
section inside; netns_run "$NAME" -- sh -c 'cat /etc/resolv.conf; ls -A /run/nscd'; echo "rc=$?"
section expected; cat "/etc/netns/$NAME/resolv.conf"; echo "rc=0"
section host; stat -c '%F %u %a' /run/nscd; ls -A /run/nscd`,
        { overlay: ['/run'], env: { NAME: name } },
      );
      assert.is(section(result, 'before').trim(), 'absent', 'the sandbox still has /run/nscd: the test tests nothing');
      assert.is(section(result, 'inside'), section(result, 'expected'), `inside: ${describe(result)}`);
      assert.is(section(result, 'host'), 'directory 0 755\n');
    } finally {
      removeNamespace(name);
    }
  });
}

test.run();
