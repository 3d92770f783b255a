// findTool: helpers come from the trusted PATH only, found the way which(1)
// finds them, and only when root alone can change them.
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { findTool, findTools, TRUSTED_PATH } from '../../src/tools.js';
import { skip, skippable } from '../support/skip.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const test = skippable(uvuTest);

test('a tool is found in the trusted PATH, in its order, whatever the caller\'s PATH says', () => {
  const saved = process.env.PATH;
  process.env.PATH = '/tmp:/nonexistent';
  try {
    const sh = findTool('sh');
    const dirs = TRUSTED_PATH.split(':');
    assert.ok(dirs.some((dir) => sh === `${dir}/sh`), sh);
    const first = dirs.find((dir) => {
      try {
        return findTool('sh') === `${dir}/sh`;
      } catch {
        return false;
      }
    });
    assert.is(sh, `${first}/sh`);
    assert.equal(findTools(['sh', 'env'] as const), { sh, env: findTool('env') });
  } finally {
    process.env.PATH = saved;
  }
});

test('a missing tool names the package to install', async () => {
  // Where pkexec exists, it is hidden (/dev/null bound over it is no regular file) in a private mount namespace.
  const installed = TRUSTED_PATH.split(':').map((dir) => `${dir}/pkexec`).filter((path) => existsSync(path));
  if (installed.length > 0 && process.geteuid?.() !== 0) skip('pkexec is installed, and hiding it to see the message needs root');
  const tools = new URL('../../src/tools.js', import.meta.url).pathname;
  const probe = `import('${tools}').then(({ findTool }) => { try { console.log('found ' + findTool('pkexec')); } catch (e) { console.log(e.status + ' ' + e.message); } })`;
  const hide = installed.map((path) => `mount --bind /dev/null ${path} && `).join('');
  const result = installed.length > 0
    ? spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', `${hide}exec "$0" -e "$1"`, process.execPath, probe], { encoding: 'utf8' })
    : spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  assert.is(result.status, 0, result.stderr);
  assert.is(result.stdout, '125 pkexec not found in /usr/sbin:/usr/bin:/sbin:/bin; install pkexec\n');
});

test.run();
