// What a user installs: the man page renders cleanly, and `npm install -g`
// of the packed package puts the command on PATH and the man page in MANPATH.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT } from '../support/netns-run.js';
import { skippable } from '../support/skip.js';

const MAN = join(ROOT, 'man', 'netns-run.1');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const manTest = skippable(test, has('groff') && has('man') ? undefined : 'man page tests need groff and man (Debian: groff-base, man-db)');
let scratch = '';
test.after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

{
  manTest('the man page renders without a single warning', () => {
    const result = spawnSync('groff', ['-man', '-ww', '-z', MAN], { encoding: 'utf8' });
    assert.is(result.status, 0);
    assert.is(result.stderr, '', 'groff warned');
    assert.is(result.stdout, '');
  });

  manTest('man -l shows it, with the sections of a util-linux page', () => {
    const result = spawnSync('man', ['-l', MAN], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80' } });
    assert.is(result.status, 0, result.stderr);
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'SECURITY', 'EXAMPLES', 'SEE ALSO']) {
      assert.match(result.stdout, new RegExp(`^${section}$`, 'm'), `no ${section} section`);
    }
  });
}

/**
 * The production dependencies as `npm ls` finds them in this clone's
 * node_modules, as paths relative to it (nested ones included).
 */
function productionDependencies(): string[] {
  const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' });
  assert.is(ls.status, 0, `npm ls failed: ${ls.stderr}`);
  const modules = realpathSync(join(ROOT, 'node_modules'));
  return ls.stdout.split('\n').filter(Boolean).map((path) => realpathSync(path)).filter((path) => path.startsWith(`${modules}/`)).map((path) => relative(modules, path));
}

test('npm install -g of the packed package installs the command and its man page, offline, where every user can run it', () => {
  scratch = mkdtempSync(join(tmpdir(), 'nrt-install-'));
  // Root's, and reachable by everyone, as npm's prefix (/usr) is.
  chmodSync(scratch, 0o755);
  // What `npm pack` ships (package.json's "files"), without running the build again.
  const pack = spawnSync('npm', ['pack', ROOT, '--pack-destination', scratch, '--ignore-scripts', '--silent'], { encoding: 'utf8' });
  assert.is(pack.status, 0, pack.stderr);
  const tarball = readdirSync(scratch).find((file) => file.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack made no tarball');
  // A test never fetches: the dependencies this clone already has go into the
  // package (bundleDependencies), so that installing it needs nothing else.
  // (npm's cache cannot be relied on: only `npm ci` fills it.)
  const unpacked = join(scratch, 'unpacked');
  mkdirSync(unpacked);
  assert.is(spawnSync('tar', ['-xzf', join(scratch, tarball!), '-C', unpacked]).status, 0, 'tar failed');
  const dir = join(unpacked, 'package');
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; bundleDependencies?: string[] };
  manifest.bundleDependencies = Object.keys(manifest.dependencies ?? {});
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const dependency of productionDependencies()) {
    cpSync(join(ROOT, 'node_modules', dependency), join(dir, 'node_modules', dependency), { recursive: true, dereference: true, filter: (source) => !source.endsWith('/node_modules') || source === join(ROOT, 'node_modules', dependency) });
  }
  const bundled = spawnSync('npm', ['pack', dir, '--pack-destination', unpacked, '--ignore-scripts', '--silent'], { encoding: 'utf8' });
  assert.is(bundled.status, 0, bundled.stderr);
  const prefix = join(scratch, 'prefix');
  const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(unpacked, bundled.stdout.trim())], { encoding: 'utf8' });
  assert.is(install.status, 0, install.stderr);
  assert.ok(existsSync(join(prefix, 'share', 'man', 'man1', 'netns-run.1')), 'the man page was not installed');
  const version = spawnSync(join(prefix, 'bin', 'netns-run'), ['--version'], { encoding: 'utf8' });
  assert.is(version.status, 0, version.stderr);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  for (const file of ['completions/netns-run.bash', 'completions/_netns-run', 'completions/netns-run.fish', 'units/netns-run@.service', 'SECURITY.md']) {
    assert.ok(existsSync(join(prefix, 'lib', 'node_modules', 'netns-run', file)), `${file} is not in the package`);
  }
  // A plain user runs the installed command (nobody: no home, no groups).
  const asNobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', join(prefix, 'bin', 'netns-run'), '--version'], { encoding: 'utf8', cwd: '/' });
  assert.is(asNobody.status, 0, `nobody cannot run the installed command: ${asNobody.stderr}`);
  assert.is(asNobody.stdout, version.stdout);
});

test.run();
