// The namespace lifecycle against the real kernel: what first use makes, what
// it leaves alone, what later calls reuse, and how stale state is repaired
// rather than trusted.
import { readFileSync } from 'node:fs';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import {
  assertRan, holdNamespace, inode, isNsfs, linkFlags, mountCount, namespaceId, recordedNamespace, netnsList, nsLink, ownNamespace, present, withNamespace,
} from '../support/kernel.js';
import { isRoot, netnsRun, sh } from '../support/netns-run.js';
import { skip, skippable } from '../support/skip.js';

const test = skippable(uvuTest, isRoot ? undefined : 'kernel namespace tests need root (ip netns add, mount)');

/** Prints the target's own namespaces, as the kernel names them. */
const SHOW_NAMESPACES = ['sh', '-c', 'readlink /proc/self/ns/mnt /proc/self/ns/net'];

async function namespacesOfTarget(name: string): Promise<{ mnt: string; net: string }> {
  const result = await netnsRun([name, '--', ...SHOW_NAMESPACES]);
  assertRan(result, `netns-run ${name}`);
  const [mnt, net] = result.stdout.trim().split('\n');
  return { mnt: mnt!, net: net! };
}

function assertUsable(name: string, target: { mnt: string; net: string }): void {
  assert.ok(isNsfs(`/run/netns/${name}`), `/run/netns/${name} is no nsfs mount`);
  assert.ok(isNsfs(`/run/netns-run/${name}/mntns`), `/run/netns-run/${name}/mntns is no nsfs mount`);
  assert.is(target.net, nsLink('net', `/run/netns/${name}`), 'the target is not in /run/netns/NAME');
  assert.is(target.mnt, nsLink('mnt', `/run/netns-run/${name}/mntns`), 'the target is not in the kept mount namespace');
  assert.is(recordedNamespace(`/run/netns-run/${name}/mntns.for`), namespaceId(`/run/netns/${name}`), 'mntns.for names another namespace');
}

{
  test('first use creates /run/netns/NAME as a namespace mount, with lo up, and marks it as made', async () => {
    await withNamespace('first', async (name) => {
      assert.not.ok(netnsList().includes(name), 'precondition: the name is new');
      const target = await namespacesOfTarget(name);
      assert.ok(netnsList().includes(name), 'ip netns list does not list it');
      assert.is(mountCount(`/run/netns/${name}`), 1, 'one mount at /run/netns/NAME');
      assertUsable(name, target);
      assert.ok(linkFlags(name, 'lo').includes('UP'), `lo is not up: ${linkFlags(name, 'lo').join(',')}`);
      assert.is(recordedNamespace(`/run/netns-run/${name}/created-netns`), namespaceId(`/run/netns/${name}`), 'created-netns does not name the new namespace');
      assert.is.not(target.net, ownNamespace('net'), 'the target is in the host network namespace');
    });
  });

  test('a namespace made beforehand by ip netns add is used as it is', async () => {
    await withNamespace('premade', async (name) => {
      sh(`ip netns add ${name} && ip -n ${name} link add nrtpre type veth peer name nrtpre2`);
      const before = inode(`/run/netns/${name}`);
      assert.not.ok(linkFlags(name, 'lo').includes('UP'), 'precondition: ip netns add leaves lo down');
      const result = await netnsRun([name, '--', 'sh', '-c', 'readlink /proc/self/ns/mnt /proc/self/ns/net; ls /sys/class/net']);
      assertRan(result, 'netns-run in a namespace made beforehand');
      const [mnt, net, ...sys] = result.stdout.trim().split('\n');
      assert.is(inode(`/run/netns/${name}`), before, 'the namespace was replaced');
      assert.equal(sys.sort(), ['lo', 'nrtpre', 'nrtpre2'], 'the target does not see the interfaces made beforehand');
      assert.is(mountCount(`/run/netns/${name}`), 1, 'one mount at /run/netns/NAME');
      assertUsable(name, { mnt: mnt!, net: net! });
      assert.not.ok(linkFlags(name, 'lo').includes('UP'), 'netns-run brought lo up in a namespace it did not make');
      assert.not.ok(present(`/run/netns-run/${name}/created-netns`), 'marked as made by netns-run');
    });
  });

  test('the mount namespace is kept at /run/netns-run/NAME/mntns and reused; it is not the host\'s', async () => {
    await withNamespace('reuse', async (name) => {
      const first = await namespacesOfTarget(name);
      const kept = inode(`/run/netns-run/${name}/mntns`);
      // Held, the first mount namespace keeps its number: a second one could not pass for it.
      const hold = await holdNamespace('mnt', `/run/netns-run/${name}/mntns`);
      try {
        const second = await namespacesOfTarget(name);
        assert.is(inode(`/run/netns-run/${name}/mntns`), kept, 'the second call made another mount namespace');
        assert.equal(second, first, 'the second call ran in other namespaces');
        assertUsable(name, second);
        assert.is(mountCount(`/run/netns-run/${name}/mntns`), 1, 'one mount at mntns');
        assert.is.not(second.mnt, ownNamespace('mnt'), 'the target shares the test\'s (the host\'s) mount namespace');
      } finally {
        hold.release();
      }
    });
  });

  test('stale: an unmounted mntns (a plain file left) is rebuilt', async () => {
    await withNamespace('unmounted', async (name) => {
      await namespacesOfTarget(name);
      sh(`umount /run/netns-run/${name}/mntns`);
      assert.ok(present(`/run/netns-run/${name}/mntns`) && !isNsfs(`/run/netns-run/${name}/mntns`), 'precondition: a plain file is left');
      const result = await netnsRun([name, '--', 'sh', '-c', 'readlink /proc/self/ns/mnt /proc/self/ns/net; cat /etc/resolv.conf']);
      assertRan(result, 'after umount');
      const [mnt, net] = result.stdout.split('\n');
      assertUsable(name, { mnt: mnt!, net: net! });
      assert.is(mountCount(`/run/netns-run/${name}/mntns`), 1, 'one mount at mntns');
      assert.match(result.stdout, `Resolvers for network namespace ${name}`, 'the rebuilt namespace does not show the namespace\'s resolv.conf');
    });
  });

  test('stale: an empty leftover file at /run/netns/NAME becomes a real namespace', async () => {
    await withNamespace('leftover', async (name) => {
      sh(`mkdir -p /run/netns && touch /run/netns/${name}`);
      assert.not.ok(isNsfs(`/run/netns/${name}`), 'precondition: no namespace mount');
      const target = await namespacesOfTarget(name);
      assert.is(mountCount(`/run/netns/${name}`), 1, 'one mount at /run/netns/NAME');
      assertUsable(name, target);
      assert.ok(present(`/run/netns-run/${name}/created-netns`), 'not marked as made');
      assert.ok(linkFlags(name, 'lo').includes('UP'), 'lo is not up');
    });
  });

  test('stale: /run/netns/NAME unmounted after use gets a new namespace, and a mount namespace whose /sys shows it', async () => {
    await withNamespace('netnsgone', async (name) => {
      const old = await namespacesOfTarget(name);
      sh(`ip -n ${name} link add nrtold type veth peer name nrtold2`);
      // Alive, the old namespace keeps its inode number: the new one cannot be mistaken for it.
      const hold = await holdNamespace('net', `/run/netns/${name}`);
      try {
        sh(`umount /run/netns/${name}`);
        assert.ok(present(`/run/netns/${name}`) && !isNsfs(`/run/netns/${name}`), 'precondition: the empty mount point is left');
        const result = await netnsRun([name, '--', 'sh', '-c', 'readlink /proc/self/ns/mnt /proc/self/ns/net; ls /sys/class/net']);
        assertRan(result, 'after umount');
        const [mnt, net, ...sys] = result.stdout.trim().split('\n');
        assertUsable(name, { mnt: mnt!, net: net! });
        assert.is.not(net, old.net, 'still the old network namespace');
        assert.equal(sys, ['lo'], '/sys inside shows the old namespace\'s interfaces, not the new one\'s');
        assert.ok(linkFlags(name, 'lo').includes('UP'), 'lo is not up in the new namespace');
      } finally {
        hold.release();
      }
    });
  });

  /** Adds a veth pair to the namespace now at /run/netns/NAME only, runs `ls /sys/class/net` in the target, and checks it. */
  async function assertSysShowsNewNamespace(name: string, markerBefore: string): Promise<void> {
    sh(`ip -n ${name} link add nrtva type veth peer name nrtvb`);
    assert.not.ok(present('/sys/class/net/nrtva'), 'precondition: the host has no nrtva');
    const result = await netnsRun([name, '--', 'sh', '-c', 'readlink /proc/self/ns/mnt /proc/self/ns/net; ls /sys/class/net']);
    assertRan(result, 'after replacement');
    const [mnt, net, ...sys] = result.stdout.trim().split('\n');
    assert.equal(sys.sort(), ['lo', 'nrtva', 'nrtvb'], '/sys inside does not show the new namespace\'s interfaces: the old mount namespace was trusted');
    assertUsable(name, { mnt: mnt!, net: net! });
    const marker = `/run/netns-run/${name}/created-netns`;
    // Left as it was (it names the old namespace) or removed; never rewritten to claim the new one.
    assert.ok(!present(marker) || readFileSync(marker, 'utf8') === markerBefore, 'created-netns was rewritten for a namespace netns-run did not make');
  }

  test('stale: ip netns delete + add behind netns-run\'s back (old namespace still alive) gets a mount namespace of its own', async () => {
    await withNamespace('replaced', async (name) => {
      const old = await namespacesOfTarget(name);
      const markerBefore = readFileSync(`/run/netns-run/${name}/created-netns`, 'utf8');
      const hold = await holdNamespace('net', `/run/netns/${name}`);
      try {
        sh(`ip netns delete ${name} && ip netns add ${name}`);
        assert.is.not(nsLink('net', `/run/netns/${name}`), old.net, 'precondition: a new network namespace');
        await assertSysShowsNewNamespace(name, markerBefore);
      } finally {
        hold.release();
      }
    });
  });

  test('stale: ip netns delete + add behind netns-run\'s back, the new namespace reusing the old one\'s inode number', async () => {
    await withNamespace('recycled', async (name) => {
      const old = await namespacesOfTarget(name);
      const markerBefore = readFileSync(`/run/netns-run/${name}/created-netns`, 'utf8');
      // The kernel hands a freed namespace's inode number to the next namespace made; the old one is
      // freed a moment after `ip netns delete` (by a kernel worker), so try a few times to get it back.
      let recycled = false;
      sh(`ip netns delete ${name}`);
      for (let attempt = 0; attempt < 20 && !recycled; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        sh(`ip netns add ${name}`);
        recycled = nsLink('net', `/run/netns/${name}`) === old.net;
        if (!recycled) sh(`ip netns delete ${name}`);
      }
      if (!recycled) {
        skip('the kernel did not hand the old inode number to the new namespace in 20 tries; the recycled case was not tested');
      }
      await assertSysShowsNewNamespace(name, markerBefore);
    });
  });
}

test.run();
