// The cost of a kept namespace does not grow with the number of them (issue
// 16): each auxiliary mount namespace is a copy of the host's mount tree, so
// it must not carry the namespaces of others (/run/netns/*, the kept mount
// namespaces), nor take in those made after it. Measured in mounts, here
// with a dozen namespaces; the benchmark does the same at 500.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertRan, removeEverything } from '../support/kernel.js';
import { isRoot, netnsRun, sh, skipReason, uniqueName } from '../support/netns-run.js';

const COUNT = 12;

/**
 * Mounts inside NAME's kept mount namespace, as its own processes see them:
 * all but those other software on this machine may make and remove meanwhile
 * (state directories of other netns-run versions under /run/netns-*).
 */
function mountsInside(name: string): number {
  return sh(`nsenter --mount=/run/netns-run/${name}/mntns cat /proc/self/mountinfo`).split('\n').filter((line) => line && !/^\S+ \S+ \S+ \S+ \/run\/netns-(?!run)/.test(line)).length;
}

if (!isRoot) {
  skipReason('needs root to make namespaces');
  test.skip('mounts per kept namespace stay flat', () => {});
} else {
  test(`mounts per kept namespace stay flat over ${COUNT} namespaces: the k-th costs what the first did, and the first does not grow`, async () => {
    const names = Array.from({ length: COUNT }, () => uniqueName('scale'));
    try {
      const firstAtBirth: number[] = [];
      for (const name of names) {
        assertRan(await netnsRun([name, '--', 'true']), `first use of ${name}`);
        firstAtBirth.push(mountsInside(name));
      }
      const firstNow = mountsInside(names[0]!);
      // Inside: nothing of the others; only /run/netns and the state root are cut away.
      const points = sh(`nsenter --mount=/run/netns-run/${names[0]}/mntns cat /proc/self/mountinfo`).split('\n').map((line) => line.split(' ')[4] ?? '');
      assert.equal(points.filter((point) => point.startsWith('/run/netns/')), [], 'the namespaces of others are mounted inside');
      assert.equal(points.filter((point) => point.startsWith('/run/netns-run')), [], 'kept mount namespaces are mounted inside');
      assert.is(firstNow, firstAtBirth[0], `the first grew from ${firstAtBirth[0]} to ${firstNow} mounts as ${COUNT - 1} more were made`);
      const last = firstAtBirth[firstAtBirth.length - 1]!;
      assert.is(last, firstAtBirth[0], `the last holds ${last} mounts, the first held ${firstAtBirth[0]} (all: ${firstAtBirth.join(' ')})`);
      // In the host each namespace is two mounts (its netns, its kept mount namespace), whatever came before it.
      const hostPoints = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((line) => line.split(' ')[4] ?? '');
      for (const name of names) assert.is(hostPoints.filter((point) => point === `/run/netns/${name}` || point.startsWith(`/run/netns-run/${name}/`)).length, 2, `mounts in the host for ${name}`);
    } finally {
      for (const name of names) removeEverything(name);
    }
  });
}

test.run();
