// Issue #11, point 1, without systemd: a run from a mount namespace other
// than the one the kept mount namespace was bound in (what a hardened
// systemd service gets: a copy of the host's mounts, without the nsfs bind of
// /run/netns-NAME/mntns, /run and /etc read-only). netns-run must cover the
// resolver files there, in a mount namespace of its own made from the
// caller's (whose mounts stay), and write nothing. test/systemd proves the
// same under a real systemd.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, NODE, NODE_DIR, isRoot, removeNamespace, runProgram, sh, skipReason, uniqueName } from '../support/netns-run.js';

const made: string[] = [];
test.after(() => made.forEach(removeNamespace));

// The caller's mount namespace: a mark of its own on /mnt, /run and /etc read-only as ProtectSystem=strict makes them.
const SANDBOX = `
  set -e
  mount -t tmpfs nrd-mark /mnt && touch /mnt/nrd-mark
  for d in /run /etc; do
    mount --rbind "$d" "$d"
    findmnt -rn -o TARGET -R "$d" | while read -r m; do mount -o remount,bind,ro "$m" 2>/dev/null || true; done
  done
  touch /run/nrd-probe 2>/dev/null && { echo '/run is still writable' >&2; exit 1; }
  exec "$@"`;
const LOOK = 'grep -h nameserver /etc/resolv.conf | head -1; ls /sys/class/net | tr "\\n" " "; echo; test -e /mnt/nrd-mark && echo caller-mounts-kept; readlink /proc/self/ns/net';

async function fromElsewhere(args: string[], launcher: boolean) {
  const file = launcher ? BIN : NODE;
  const words = launcher ? args : [BIN, ...args];
  return runProgram('unshare', ['--mount', '--propagation', 'slave', 'sh', '-c', SANDBOX, 'sandbox', file, ...words], {
    env: { ...process.env, PATH: `${NODE_DIR}:/usr/sbin:/usr/bin:/sbin:/bin` },
  });
}

if (!isRoot) {
  skipReason('tests of runs from another mount namespace need root');
  test.skip('runs from another mount namespace (needs root)', () => {});
} else {
  for (const launcher of [true, false]) {
    test(`from another mount namespace (${launcher ? 'launcher shell' : 'Node started directly'}): the namespace's resolver, its /sys, the caller's own mounts, and nothing written`, async () => {
      const name = uniqueName('delse');
      made.push(name);
      sh(`"${NODE}" "${BIN}" --ensure ${name}`);
      const state = sh(`find /run/netns-run/${name} /etc/netns/${name} -printf '%p %s %T@ %C@\\n'`);
      const result = await fromElsewhere([name, '--', 'sh', '-c', LOOK], launcher);
      assert.is(result.code, 0, result.stderr);
      const [resolver, links, kept, net] = result.stdout.trim().split('\n');
      assert.is(resolver, sh(`grep -h nameserver /etc/netns/${name}/resolv.conf | head -1`).trim(), 'the host\'s resolver shows');
      assert.is(links!.trim(), 'lo', '/sys does not show the namespace');
      assert.is(kept, 'caller-mounts-kept', 'the caller\'s mount namespace was left for the kept one: a unit\'s hardening would be undone');
      assert.is(net, `net:[${sh(`stat -L -c %i /run/netns/${name}`).trim()}]`);
      assert.is(sh(`find /run/netns-run/${name} /etc/netns/${name} -printf '%p %s %T@ %C@\\n'`), state, 'the run wrote into the state');
      assert.is(result.stderr, '');
    });
  }

  test('from a read-only /run, a namespace that does not exist: one line that says to have it made outside, status 125, nothing made', async () => {
    const name = uniqueName('dnone');
    made.push(name);
    const result = await fromElsewhere([name, '--', 'true'], true);
    assert.is(result.code, 125);
    assert.is(
      result.stderr,
      `netns-run: cannot set up namespace ${name} here: /run is read-only (a systemd unit with ProtectSystem=?); have it made outside first: Requires= and After=netns-run@${name}.service\n`,
    );
    assert.is(sh(`ls -d /run/netns/${name} /run/netns-run/${name} 2>/dev/null || true`), '');
  });
}

test.run();
