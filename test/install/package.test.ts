// What a user installs: the man page renders cleanly, and `npm install -g`
// of the packed package puts the command on PATH and the man page in MANPATH.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, skipReason } from '../support/netns-run.js';

const MAN = join(ROOT, 'man', 'netns-run.1');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
let scratch = '';
test.after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

if (!has('groff') || !has('man')) {
  skipReason('man page tests need groff and man (Debian: groff-base, man-db)');
} else {
  test('the man page renders without a single warning', () => {
    const result = spawnSync('groff', ['-man', '-ww', '-z', MAN], { encoding: 'utf8' });
    assert.is(result.status, 0);
    assert.is(result.stderr, '', 'groff warned');
    assert.is(result.stdout, '');
  });

  test('man -l shows it, with the sections of a util-linux page', () => {
    const result = spawnSync('man', ['-l', MAN], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80' } });
    assert.is(result.status, 0, result.stderr);
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'SECURITY', 'EXAMPLES', 'SEE ALSO']) {
      assert.match(result.stdout, new RegExp(`^${section}$`, 'm'), `no ${section} section`);
    }
  });
}

test('npm install -g of the packed package installs the command and its man page', () => {
  scratch = mkdtempSync(join(tmpdir(), 'nrt-install-'));
  const pack = spawnSync('npm', ['pack', ROOT, '--pack-destination', scratch, '--silent'], { encoding: 'utf8' });
  assert.is(pack.status, 0, pack.stderr);
  const tarball = readdirSync(scratch).find((file) => file.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack made no tarball');
  const prefix = join(scratch, 'prefix');
  // Offline: the dependencies come from npm's cache, filled by `npm ci`.
  const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(scratch, tarball!)], { encoding: 'utf8' });
  assert.is(install.status, 0, install.stderr);
  assert.ok(existsSync(join(prefix, 'share', 'man', 'man1', 'netns-run.1')), 'the man page was not installed');
  const version = spawnSync(join(prefix, 'bin', 'netns-run'), ['--version'], { encoding: 'utf8' });
  assert.is(version.status, 0, version.stderr);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  for (const file of ['completions/netns-run.bash', 'completions/_netns-run', 'completions/netns-run.fish', 'units/netns-run@.service', 'SECURITY.md']) {
    assert.ok(existsSync(join(prefix, 'lib', 'node_modules', 'netns-run', file)), `${file} is not in the package`);
  }
});

test.run();
