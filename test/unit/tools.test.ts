// findTool: helpers come from the trusted PATH only, found the way which(1)
// finds them, and only when root alone can change them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetnsRunError } from '../../src/errors.js';
import { findTool, findTools, TRUSTED_PATH } from '../../src/tools.js';

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

test('a missing tool names the package to install', () => {
  // pkexec is missing on most test machines; skip the check where it exists.
  let found: string | undefined;
  try {
    found = findTool('pkexec');
  } catch (error) {
    assert.instance(error, NetnsRunError);
    assert.match((error as Error).message, /^pkexec not found in \/usr\/sbin:\/usr\/bin:\/sbin:\/bin; install pkexec$/);
  }
  if (found !== undefined) assert.match(found, /\/pkexec$/);
});

test.run();
