import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, NODE, isRoot, removeNamespace, runProgram, uniqueName } from '../support/netns-run.js';
import { skippable } from '../support/skip.js';

const test = skippable(uvuTest, isRoot ? undefined : 'umask tests need root to make namespaces');

const made: string[] = [];
test.after(() => made.forEach(removeNamespace));

{
  test("what netns-run makes is readable whatever the caller's umask, and the target keeps that umask", async () => {
    const name = uniqueName('umask');
    made.push(name);
    const script = 'umask; stat -c %a /etc/resolv.conf /etc/nsswitch.conf /run/nscd';
    const result = await runProgram('sh', ['-c', `umask 077; exec "$0" "$1" "$2" -- sh -c '${script}'`, NODE, BIN, name]);
    assert.is(result.stderr, '');
    assert.is(result.code, 0);
    assert.equal(result.stdout.trim().split('\n'), ['0077', '644', '644', '755']);
  });
}

test.run();
