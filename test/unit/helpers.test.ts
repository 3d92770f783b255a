// The helpers netns-run runs before the exec (src/helpers.ts): exactly the
// environment given, no stdin, output captured, a time limit, and a clear
// phrase for a helper that could not start or failed without a word.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeFailure, failed, helperSucceeds, lastLine, runHelper, tryHelper, waitForHelper } from '../../src/helpers.js';
import { NetnsRunError } from '../../src/errors.js';

const ENV = { PATH: '/usr/bin:/bin' };

test('waitForHelper: output captured, status read, the environment is exactly the one given', async () => {
  process.env.NRT_CHILD_SECRET = 'leak';
  try {
    const result = await waitForHelper('/bin/sh', ['-c', 'env; echo oops >&2; exit 3'], { env: ENV });
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

test('waitForHelper: no stdin (a reader sees end of file at once)', async () => {
  const result = await waitForHelper('/bin/cat', [], { env: ENV });
  assert.is(result.code, 0);
  assert.is(result.stdout, '');
  assert.not.ok(failed(result));
});

test('waitForHelper: a helper that cannot start is a failure, never an exception', async () => {
  const result = await waitForHelper('/nonexistent/nrt-helper', [], { env: ENV });
  assert.ok(failed(result));
  assert.match(describeFailure('/nonexistent/nrt-helper', result), /could not be started: .*ENOENT/);
});

test('waitForHelper: the time limit ends a helper that hangs', async () => {
  const started = Date.now();
  const result = await waitForHelper('/bin/sleep', ['30'], { env: ENV, timeoutMs: 200 });
  assert.ok(Date.now() - started < 5_000, 'the helper was not stopped');
  assert.ok(result.timedOut);
  assert.ok(failed(result));
  assert.match(describeFailure('/bin/sleep', result, 200), /timed out/);
});

test('waitForHelper: a helper killed by a signal says so', async () => {
  const result = await waitForHelper('/bin/sh', ['-c', 'kill -TERM $$'], { env: ENV });
  assert.is(result.signal, 'SIGTERM');
  assert.is(describeFailure('/bin/sh', result), '/bin/sh was killed by SIGTERM');
});

test('tryHelper: the same answers, synchronously: output, status, environment, time limit, a missing program', async () => {
  const result = await tryHelper('/bin/sh', ['-c', 'env; echo oops >&2; exit 3'], { env: ENV });
  assert.is(result.code, 3);
  assert.match(result.stdout, /^PATH=\/usr\/bin:\/bin$/m);
  assert.not.match(result.stdout, /NRT_/);
  assert.is(result.stderr, 'oops\n');
  assert.ok(failed(result));
  const started = Date.now();
  const slow = await tryHelper('/bin/sleep', ['30'], { env: ENV, timeoutMs: 200 });
  assert.ok(Date.now() - started < 5_000, 'the helper was not stopped');
  assert.ok(slow.timedOut && failed(slow));
  const missing = await tryHelper('/nonexistent/nrt-helper', [], { env: ENV });
  assert.ok(failed(missing));
  assert.match(describeFailure('/nonexistent/nrt-helper', missing), /could not be started: .*ENOENT/);
  const quiet = await tryHelper('/bin/echo', ['x'], { env: ENV, stdout: 'ignore' });
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

test('helperSucceeds: true on success, false on failure or a missing program', () => {
  assert.ok(helperSucceeds('/bin/true', []));
  assert.not.ok(helperSucceeds('/bin/false', []));
  assert.not.ok(helperSucceeds('/nonexistent/nrt-helper', []));
});

test('tryHelper: input reaches standard input and nothing else (how a secret is handed over)', () => {
  const result = tryHelper('/bin/sh', ['-c', 'cat; printf "%s" "$0 $*"'], { env: ENV, input: 'secret-key\n' });
  assert.is(result.stdout, 'secret-key\n/bin/sh ');
});

test('runHelper: quote false keeps what the helper printed out of the message', () => {
  try {
    runHelper('/bin/sh', ['-c', 'echo "bad key: c2VjcmV0" >&2; exit 1'], 'configuring wg0', { quote: false });
    assert.unreachable('it failed');
  } catch (error) {
    assert.is((error as Error).message, 'configuring wg0 failed: /bin/sh exited with status 1');
  }
});

test('describeFailure: out of descriptors is said in words (a low RLIMIT_NOFILE)', () => {
  const outcome = { code: null, signal: null, stdout: '', stderr: '', timedOut: false, error: Object.assign(new Error('spawnSync /bin/x EMFILE'), { code: 'EMFILE' }) };
  assert.match(describeFailure('/bin/x', outcome), /too many open files or processes \(EMFILE\)/);
});

test.run();
