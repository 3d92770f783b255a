import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { endingFor, signalNumber } from '../../src/exec/status.js';

test('an exit code passes through unchanged, 0 to 255', () => {
  for (let code = 0; code <= 255; code += 1) assert.equal(endingFor(code, undefined), { kind: 'code', code });
});

test('no code and no signal: netns-run\'s own failure, 125', () => {
  assert.equal(endingFor(undefined, undefined), { kind: 'code', code: 125 });
});

test('SIGTERM and other plain signals are re-raised', () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGKILL', 'SIGUSR1', 'SIGALRM'] as const) {
    assert.equal(endingFor(undefined, signal), { kind: 'signal', signal });
  }
});

test('core-dumping signals end as 128+N instead of dumping a core of Node', () => {
  // Linux numbers, written out so a wrong table cannot agree with itself.
  const expected: Record<string, number> = {
    SIGQUIT: 131, SIGILL: 132, SIGTRAP: 133, SIGABRT: 134, SIGBUS: 135, SIGFPE: 136,
    SIGSEGV: 139, SIGXCPU: 152, SIGXFSZ: 153, SIGSYS: 159,
  };
  for (const [signal, code] of Object.entries(expected)) {
    assert.equal(endingFor(undefined, signal as NodeJS.Signals), { kind: 'code', code }, signal);
  }
});

test('SIGPIPE, which Node ignores for itself, ends as 141', () => {
  assert.equal(endingFor(undefined, 'SIGPIPE'), { kind: 'code', code: 141 });
});

test('signalNumber uses the Linux numbers', () => {
  assert.is(signalNumber('SIGTERM'), 15);
  assert.is(signalNumber('SIGKILL'), 9);
  assert.is(signalNumber('SIGSEGV'), 11);
});

test.run();
