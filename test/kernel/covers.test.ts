// The host may replace a file netns-run's binds cover: resolvconf, DHCP
// clients and systemd-resolved rename a new /etc/resolv.conf into place,
// and the kernel then drops the bind in the kept mount namespace, so the
// host's resolver would show inside again. The next call must cover it
// again, in place, so that a command already running there is covered too.
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { BIN, NODE, isRoot, removeNamespace, runProgram, uniqueName } from '../support/netns-run.js';
import { skippable } from '../support/skip.js';

const test = skippable(uvuTest, isRoot ? undefined : 'covers tests need root (namespaces, mounts)');

const made: string[] = [];
let scratch = '';
test.after(() => {
  made.forEach(removeNamespace);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

{
  test('a host file renamed over /etc/resolv.conf or /etc/nsswitch.conf is covered again, also for a command already running', async () => {
    const name = uniqueName('covers');
    made.push(name);
    scratch = mkdtempSync('/tmp/nrt-covers-');
    // A private mount namespace whose /etc is a copy, so the host's own files are never touched.
    const script = `
      set -e
      # Never the host's own /etc: a copy (files other tests add or remove meanwhile may be missed), bound over it,
      # and nothing goes on unless the bind is there (set -e does not stop at a failure inside an && list).
      cp -a /etc/. "$SCRATCH/etc/" 2>/dev/null || true
      mount --bind "$SCRATCH/etc" /etc
      [ "$(stat -c %d:%i /etc)" = "$(stat -c %d:%i "$SCRATCH/etc")" ] || { echo 'the copy of /etc is not in place' >&2; exit 1; }
      run() { "$NODE" "$BIN" "$NAME" -- "$@"; }
      run true
      # A command that keeps running across the host's change, then reads.
      run sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done; grep -h nameserver /etc/resolv.conf | head -1; grep -h "^hosts:" /etc/nsswitch.conf' "$SCRATCH/go" > "$SCRATCH/long.out" &
      printf 'nameserver 192.0.2.99\\n' > /etc/resolv.conf.new && mv /etc/resolv.conf.new /etc/resolv.conf
      sed 's/^hosts:.*/hosts: files HOST-SIDE/' /etc/nsswitch.conf > /etc/nsswitch.conf.new && mv /etc/nsswitch.conf.new /etc/nsswitch.conf
      echo "next: $(run grep -h nameserver /etc/resolv.conf | head -1) | $(run grep -h '^hosts:' /etc/nsswitch.conf)"
      touch "$SCRATCH/go"; wait
      echo "long: $(tr '\\n' '|' < "$SCRATCH/long.out")"
      echo "host: $(cat /etc/resolv.conf) | $(grep '^hosts:' /etc/nsswitch.conf)"
    `;
    chmodSync(scratch, 0o755);
    mkdirSync(`${scratch}/etc`, { mode: 0o755 });
    const result = await runProgram('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
      env: { ...process.env, SCRATCH: scratch, NODE, BIN, NAME: name },
    });
    assert.is(result.code, 0, `exit ${result.code}: ${result.stderr}`);
    const lines = Object.fromEntries(result.stdout.trim().split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
    assert.is(lines.host, 'nameserver 192.0.2.99 | hosts: files HOST-SIDE', 'the host really changed');
    assert.is(lines.next, 'nameserver 2606:4700:4700::1111 | hosts: files dns', 'a new command sees the host files');
    assert.is(lines.long, 'nameserver 2606:4700:4700::1111|hosts: files dns|', 'a running command sees the host files');
  });
}

test.run();
