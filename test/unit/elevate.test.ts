import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { elevatedArgs, elevatorFailure } from '../../src/elevate.js';

test('pkexec\'s own 127 and 126 become one line and 125, only when the elevated netns-run never started', () => {
  for (const code of [126, 127]) {
    const failure = elevatorFailure('pkexec', { kind: 'code', code }, true, 'alice');
    assert.ok(failure, `pkexec ${code} was not translated`);
    assert.is(failure!.status, 125);
    assert.match(failure!.message, /^pkexec did not give netns-run root: /);
    assert.match(failure!.message, /sudo netns-run$/);
    // The hand-over was taken: the 127 is the command's ("not found") and stays.
    assert.is(elevatorFailure('pkexec', { kind: 'code', code }, false, 'alice'), undefined);
  }
  assert.match(elevatorFailure('pkexec', { kind: 'code', code: 126 }, true, 'alice')!.message, /dismissed/);
  assert.match(elevatorFailure('pkexec', { kind: 'code', code: 127 }, true, 'alice')!.message, /polkit daemon|authentication agent/);
  // Any other status of pkexec's is the program's (pkexec(1)); a signal is the command's death.
  assert.is(elevatorFailure('pkexec', { kind: 'code', code: 1 }, true, 'alice'), undefined);
  assert.is(elevatorFailure('pkexec', { kind: 'signal', signal: 'SIGTERM' }, true, 'alice'), undefined);
});

test('sudo refusing after its -l said yes is ours too; sudo\'s success or the command\'s status is not', () => {
  assert.match(elevatorFailure('sudo', { kind: 'code', code: 1 }, true, 'alice')!.message, /^sudo did not start netns-run for alice/);
  assert.is(elevatorFailure('sudo', { kind: 'code', code: 1 }, false, 'alice'), undefined);
  assert.is(elevatorFailure('sudo', { kind: 'code', code: 0 }, true, 'alice'), undefined);
});

test('the elevated run gets the parsed request back: an absolute --chdir, the command\'s own -C untouched', () => {
  const here = () => '/home/alice/src';
  assert.equal(elevatedArgs({ kind: 'run', name: 'wg', command: ['git', '-C', 'x', 'log'] }, ['wg', 'git', '-C', 'x', 'log'], here), ['--chdir', '/home/alice/src', '--', 'wg', '--', 'git', '-C', 'x', 'log']);
  assert.equal(elevatedArgs({ kind: 'run', name: 'wg', command: [], chdir: 'sub' }, [], here), ['--chdir', '/home/alice/src/sub', '--', 'wg', '--']);
  assert.equal(elevatedArgs({ kind: 'ensure', name: 'wg' }, ['--ensure', 'wg'], here), ['--ensure', 'wg']);
});

test.run();
