// Several first uses at once: the lock must let exactly one make each thing,
// the others waiting and then using what it made.
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { assertRan, inode, isNsfs, linkFlags, mountCount, namespaceId, recordedNamespace, nsLink, present, withNamespace } from '../support/kernel.js';
import { isRoot, netnsRun, sh } from '../support/netns-run.js';
import { skippable } from '../support/skip.js';

const test = skippable(uvuTest, isRoot ? undefined : 'kernel concurrency tests need root (ip netns add, mount)');

const RACERS = 8;

/** Starts all calls before awaiting any; each prints the namespaces its target ran in. */
async function race(names: readonly string[]): Promise<{ name: string; mnt: string; net: string }[]> {
  const results = await Promise.all(names.map((name) => netnsRun([name, '--', 'sh', '-c', 'readlink /proc/self/ns/mnt /proc/self/ns/net'])));
  return results.map((result, index) => {
    assertRan(result, `call ${index} of ${names.length} (${names[index]})`);
    const [mnt, net] = result.stdout.trim().split('\n');
    return { name: names[index]!, mnt: mnt!, net: net! };
  });
}

/** Exactly one of everything, and every target ran in it. */
function assertOneOfEach(name: string, targets: readonly { mnt: string; net: string }[]): void {
  assert.is(mountCount(`/run/netns/${name}`), 1, `mounts at /run/netns/${name}`);
  assert.is(mountCount(`/run/netns-run/${name}`), 0, `mounts at /run/netns-run/${name}`);
  assert.is(mountCount('/run/netns-run'), 1, 'mounts at /run/netns-run');
  assert.is(mountCount(`/run/netns-run/${name}/mntns`), 1, `mounts at /run/netns-run/${name}/mntns`);
  assert.ok(isNsfs(`/run/netns/${name}`) && isNsfs(`/run/netns-run/${name}/mntns`), 'not namespace mounts');
  assert.is(recordedNamespace(`/run/netns-run/${name}/mntns.for`), namespaceId(`/run/netns/${name}`), 'mntns.for names another namespace');
  const net = nsLink('net', `/run/netns/${name}`);
  const mnt = nsLink('mnt', `/run/netns-run/${name}/mntns`);
  for (const [index, target] of targets.entries()) {
    assert.is(target.net, net, `call ${index} ran in another network namespace`);
    assert.is(target.mnt, mnt, `call ${index} ran in another mount namespace`);
  }
}

{
  test(`${RACERS} simultaneous first uses of one new name all succeed and make one of everything`, async () => {
    await withNamespace('race', async (name) => {
      const targets = await race(Array.from({ length: RACERS }, () => name));
      assertOneOfEach(name, targets);
      assert.ok(linkFlags(name, 'lo').includes('UP'), 'lo is not up');
      assert.is(recordedNamespace(`/run/netns-run/${name}/created-netns`), namespaceId(`/run/netns/${name}`), 'created-netns');
      assert.ok(present(`/etc/netns/${name}/resolv.conf`) && present(`/etc/netns/${name}/nsswitch.conf`), 'resolver files missing');
    });
  });

  test(`${RACERS} simultaneous first uses of a namespace made by ip netns add make one mount namespace and leave it as it is`, async () => {
    await withNamespace('racepre', async (name) => {
      sh(`ip netns add ${name}`);
      const before = inode(`/run/netns/${name}`);
      const targets = await race(Array.from({ length: RACERS }, () => name));
      assertOneOfEach(name, targets);
      assert.is(inode(`/run/netns/${name}`), before, 'the namespace was replaced');
      assert.not.ok(linkFlags(name, 'lo').includes('UP'), 'lo was brought up in a namespace netns-run did not make');
      assert.not.ok(present(`/run/netns-run/${name}/created-netns`), 'marked as made by netns-run');
    });
  });

  test(`${RACERS} simultaneous calls repairing an unmounted mntns make one new mount`, async () => {
    await withNamespace('racefix', async (name) => {
      await race([name]);
      sh(`umount /run/netns-run/${name}/mntns`);
      assert.is(mountCount(`/run/netns-run/${name}/mntns`), 0, 'precondition: unmounted');
      const targets = await race(Array.from({ length: RACERS }, () => name));
      assertOneOfEach(name, targets);
    });
  });

  test('two different new names at once both work, each in its own namespaces', async () => {
    await withNamespace('twoa', async (a) => {
      await withNamespace('twob', async (b) => {
        const targets = await race(Array.from({ length: RACERS }, (_, index) => (index % 2 === 0 ? a : b)));
        assertOneOfEach(a, targets.filter((target) => target.name === a));
        assertOneOfEach(b, targets.filter((target) => target.name === b));
        assert.is.not(nsLink('net', `/run/netns/${a}`), nsLink('net', `/run/netns/${b}`), 'the two names share a network namespace');
        assert.is.not(nsLink('mnt', `/run/netns-run/${a}/mntns`), nsLink('mnt', `/run/netns-run/${b}/mntns`), 'the two names share a mount namespace');
      });
    });
  });
}

test.run();
