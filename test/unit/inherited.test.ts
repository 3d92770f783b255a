// What a caller hands a privileged netns-run besides arguments and
// environment (src/inherited.ts): which resource limits root's set-up takes
// over, to what, and what the command gets back. Pure; the kernel side is
// test/security/process.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetnsRunError } from '../../src/errors.js';
import { limitChanges, parseLimits, prlimitWords, refuseNodeDebugging } from '../../src/inherited.js';

function limitsText(rows: Record<string, [string, string]>): string {
  const base: Record<string, [string, string]> = {
    'Max cpu time': ['unlimited', 'unlimited'],
    'Max file size': ['unlimited', 'unlimited'],
    'Max data size': ['unlimited', 'unlimited'],
    'Max stack size': ['8388608', 'unlimited'],
    'Max core file size': ['0', 'unlimited'],
    'Max resident set': ['unlimited', 'unlimited'],
    'Max processes': ['96364', '96364'],
    'Max open files': ['1024', '524288'],
    'Max locked memory': ['8388608', '8388608'],
    'Max address space': ['unlimited', 'unlimited'],
    'Max file locks': ['unlimited', 'unlimited'],
    'Max pending signals': ['96364', '96364'],
    'Max msgqueue size': ['819200', '819200'],
    'Max nice priority': ['0', '0'],
    'Max realtime priority': ['0', '0'],
    'Max realtime timeout': ['unlimited', 'unlimited'],
    ...rows,
  };
  const unit = (row: string) => (/size|memory|address/.test(row) ? 'bytes' : /time/.test(row) ? 'seconds' : '');
  return ['Limit                     Soft Limit           Hard Limit           Units     ',
    ...Object.entries(base).map(([row, [soft, hard]]) => `${row.padEnd(26)}${soft.padEnd(21)}${hard.padEnd(21)}${unit(row)}`)].join('\n') + '\n';
}

test('parseLimits reads /proc/PID/limits rows, numbers and unlimited', () => {
  const limits = parseLimits(limitsText({ 'Max file size': ['19', '19'] }));
  assert.equal(limits.get('Max file size'), { soft: 19, hard: 19 });
  assert.equal(limits.get('Max cpu time'), { soft: 'unlimited', hard: 'unlimited' });
  assert.equal(limits.get('Max open files'), { soft: 1024, hard: 524288 });
  assert.is(limits.size, 16);
});

test('a usual login\'s limits need no change: the warm path runs no helper for them', () => {
  assert.equal(limitChanges(parseLimits(limitsText({}))), []);
});

test('each limit a caller can lower to make root fail part-way is raised for the set-up, and given back to the command', () => {
  const cases: [string, [string, string], string, string][] = [
    ['Max file size', ['19', '19'], '--fsize=unlimited:unlimited', '--fsize=19:19'],
    ['Max file size', ['19', 'unlimited'], '--fsize=unlimited:unlimited', '--fsize=19:unlimited'],
    ['Max cpu time', ['1', '1'], '--cpu=unlimited:unlimited', '--cpu=1:1'],
    ['Max data size', ['60000000', '60000000'], '--data=unlimited:unlimited', '--data=60000000:60000000'],
    ['Max address space', ['400000000', 'unlimited'], '--as=unlimited:unlimited', '--as=400000000:unlimited'],
    ['Max stack size', ['100000', '100000'], '--stack=8388608:8388608', '--stack=100000:100000'],
    ['Max open files', ['40', '40'], '--nofile=1024:1024', '--nofile=40:40'],
    ['Max open files', ['40', '4096'], '--nofile=1024:4096', '--nofile=40:4096'],
    ['Max processes', ['1', '1'], '--nproc=1024:1024', '--nproc=1:1'],
    ['Max file locks', ['0', '0'], '--locks=unlimited:unlimited', '--locks=0:0'],
    ['Max pending signals', ['1', '1'], '--sigpending=1024:1024', '--sigpending=1:1'],
    // Never a core of root's memory (a WireGuard key): lowered, whatever the caller allowed.
    ['Max core file size', ['unlimited', 'unlimited'], '--core=0:unlimited', '--core=unlimited:unlimited'],
  ];
  for (const [row, value, wanted, was] of cases) {
    const changes = limitChanges(parseLimits(limitsText({ [row]: value })));
    assert.is(changes.length, 1, `${row} ${value}`);
    assert.equal(prlimitWords(changes, 'wanted'), [wanted], `${row} ${value}`);
    assert.equal(prlimitWords(changes, 'was'), [was], `${row} ${value}`);
  }
});

test('several at once: each is changed, in one prlimit call', () => {
  const changes = limitChanges(parseLimits(limitsText({ 'Max file size': ['0', '0'], 'Max open files': ['60', '60'], 'Max core file size': ['1000', 'unlimited'] })));
  assert.equal(prlimitWords(changes, 'wanted'), ['--fsize=unlimited:unlimited', '--core=0:unlimited', '--nofile=1024:1024']);
});

test('NODE_DEBUG and friends are refused under a setuid start only, naming them', () => {
  refuseNodeDebugging({ NODE_DEBUG: 'child_process' }, false);
  refuseNodeDebugging({ NODE_DEBUG: '' }, true);
  refuseNodeDebugging({ NODE_ENV: 'production', PATH: '/bin' }, true);
  for (const name of ['NODE_DEBUG', 'NODE_DEBUG_NATIVE', 'NODE_REDIRECT_WARNINGS']) {
    assert.throws(() => refuseNodeDebugging({ [name]: 'x' }, true), (e: Error) => e instanceof NetnsRunError && e.message.startsWith(`${name} would make Node.js`) && e.message.includes('unset it'));
  }
});

test.run();
