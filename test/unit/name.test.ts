import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkName, pathsFor } from '../../src/name.js';
import { NetnsRunError } from '../../src/errors.js';

test('accepts the names iproute2 users write', () => {
  for (const name of ['wg', 'vpn0', 'my_ns', 'a.b-c', '0', 'x'.repeat(64)]) assert.is(checkName(name), name);
});

test('refuses names that would escape or confuse a path, with status 125', () => {
  for (const name of ['', '../x', 'a/b', '.', '..', '.hidden', '-x', 'a b', 'a\nb', 'x'.repeat(65), 'x'.repeat(300), 'ä', 'a\0b']) {
    try {
      checkName(name);
      assert.unreachable(`accepted ${JSON.stringify(name)}`);
    } catch (error) {
      assert.instance(error, NetnsRunError);
      assert.is((error as NetnsRunError).status, 125);
      assert.not.match((error as Error).message, '\n');
    }
  }
});

test('derives every path from the name', () => {
  const paths = pathsFor('wg');
  assert.is(paths.netns, '/run/netns/wg');
  assert.is(paths.mntns, '/run/netns-run/wg/mntns');
  assert.is(paths.resolvConf, '/etc/netns/wg/resolv.conf');
  assert.is(paths.nsswitchConf, '/etc/netns/wg/nsswitch.conf');
  assert.equal(paths.covered.map(({ host, source }) => `${source} ${host}`), ['/run/netns-run/wg/resolv.conf /etc/resolv.conf', '/run/netns-run/wg/nsswitch.conf /etc/nsswitch.conf', '/run/netns-run/wg/nscd /run/nscd', '/run/netns-run/wg/systemd-resolve /run/systemd/resolve']);
  assert.is(paths.configDir, '/etc/netns-run/wg');
});

test.run();
