// The helpers netns-run runs before the exec (src/child.ts): exactly the
// environment given, no stdin, output captured, a time limit, and a clear
// phrase for a helper that could not start or failed without a word.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeFailure, failed, runShort, runToEnd } from '../../src/child.js';
import { lastLine, loadSyncRunner, runHelper } from '../../src/ensure/helper.js';
import { NetnsRunError } from '../../src/errors.js';

const ENV = { PATH: '/usr/bin:/bin' };

test('runToEnd: output captured, status read, the environment is exactly the one given', async () => {
  process.env.NRT_CHILD_SECRET = 'leak';
  try {
    const result = await runToEnd('/bin/sh', ['-c', 'env; echo oops >&2; exit 3'], { env: ENV });
    assert.is(result.code, 3);
    assert.ok(failed(result));
    assert.not.match(result.stdout, /NRT_CHILD_SECRET/);
    assert.match(result.stdout, /^PATH=\/usr\/bin:\/bin$/m);
    assert.is(result.stderr, 'oops\n');
    assert.is(describeFailure('/bin/sh', result), '/bin/sh exited with status 3');
  } finally {
    delete process.env.NRT_CHILD_SECRET;
  }
});

test('runToEnd: no stdin (a reader sees end of file at once)', async () => {
  const result = await runToEnd('/bin/cat', [], { env: ENV });
  assert.is(result.code, 0);
  assert.is(result.stdout, '');
  assert.not.ok(failed(result));
});

test('runToEnd: a helper that cannot start is a failure, never an exception', async () => {
  const result = await runToEnd('/nonexistent/nrt-helper', [], { env: ENV });
  assert.ok(failed(result));
  assert.match(describeFailure('/nonexistent/nrt-helper', result), /could not be started: .*ENOENT/);
});

test('runToEnd: the time limit ends a helper that hangs', async () => {
  const started = Date.now();
  const result = await runToEnd('/bin/sleep', ['30'], { env: ENV, timeout: 200 });
  assert.ok(Date.now() - started < 5_000, 'the helper was not stopped');
  assert.ok(result.timedOut);
  assert.ok(failed(result));
  assert.match(describeFailure('/bin/sleep', result, 200), /timed out/);
});

test('runToEnd: a helper killed by a signal says so', async () => {
  const result = await runToEnd('/bin/sh', ['-c', 'kill -TERM $$'], { env: ENV });
  assert.is(result.signal, 'SIGTERM');
  assert.is(describeFailure('/bin/sh', result), '/bin/sh was killed by SIGTERM');
});

test('runShort: the same answers, synchronously: output, status, environment, time limit, a missing program', async () => {
  const result = await runShort('/bin/sh', ['-c', 'env; echo oops >&2; exit 3'], { env: ENV });
  assert.is(result.code, 3);
  assert.match(result.stdout, /^PATH=\/usr\/bin:\/bin$/m);
  assert.not.match(result.stdout, /NRT_/);
  assert.is(result.stderr, 'oops\n');
  assert.ok(failed(result));
  const started = Date.now();
  const slow = await runShort('/bin/sleep', ['30'], { env: ENV, timeout: 200 });
  assert.ok(Date.now() - started < 5_000, 'the helper was not stopped');
  assert.ok(slow.timedOut && failed(slow));
  const missing = await runShort('/nonexistent/nrt-helper', [], { env: ENV });
  assert.ok(failed(missing));
  assert.match(describeFailure('/nonexistent/nrt-helper', missing), /could not be started: .*ENOENT/);
  const quiet = await runShort('/bin/echo', ['x'], { env: ENV, stdout: 'ignore' });
  assert.is(quiet.stdout, '');
  assert.not.ok(failed(quiet));
});

test('runHelper: the last line the helper printed, on one line, says why', async () => {
  try {
    await runHelper('/bin/sh', ['-c', 'echo first >&2; echo "mount: no\rway" >&2; exit 32'], 'mounting x');
    assert.unreachable('it failed');
  } catch (error) {
    assert.instance(error, NetnsRunError);
    assert.is((error as Error).message, 'mounting x failed: mount: no way');
  }
  assert.is(await runHelper('/bin/echo', ['hi'], 'saying hi'), 'hi\n');
  assert.is(lastLine('a\nb\n\n'), 'b');
});

test('loadSyncRunner: true on success, false on failure or a missing program', async () => {
  const run = await loadSyncRunner();
  assert.ok(run('/bin/true', []));
  assert.not.ok(run('/bin/false', []));
  assert.not.ok(run('/nonexistent/nrt-helper', []));
});

test.run();
