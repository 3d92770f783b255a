// The V8 code cache (src/code-cache.ts, used by src/loader.ts): code that
// root runs, so read and written only by root, only in root-only
// directories, only from root-only regular files, never through a symlink.
// The directory tests need root (they make root-owned directories under
// /run) and skip without it, saying so.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test as uvuTest } from 'uvu';
import { skippable } from '../support/skip.js';
import * as assert from 'uvu/assert';
import { CACHE_DIR, cacheDirectory, cacheName, mayUseCache, readCache, trustedDirectory, writeCache } from '../../src/code-cache.js';

const isRoot = process.geteuid?.() === 0;
const test = uvuTest;

test('only a process that is root in every id uses the cache', () => {
  assert.ok(mayUseCache({ uid: 0, euid: 0, gid: 0, egid: 0 }));
  assert.not.ok(mayUseCache({ uid: 1000, euid: 0, gid: 1000, egid: 1000 }), 'setuid root');
  assert.not.ok(mayUseCache({ uid: 0, euid: 1000, gid: 0, egid: 0 }));
  assert.not.ok(mayUseCache({ uid: 0, euid: 0, gid: 1000, egid: 0 }), 'setgid root');
  assert.not.ok(mayUseCache({ uid: 1000, euid: 1000, gid: 1000, egid: 1000 }));
});

test('the cache is named by the Node and by the bundle file\'s identity', () => {
  const st = { dev: 1n, ino: 2n, size: 3n, ctimeNs: 4n };
  assert.is(cacheName(st, 'v24.1.0', 'x64'), 'v24.1.0-x64-1-2-3-4.v8');
  assert.is.not(cacheName(st, 'v24.1.0', 'x64'), cacheName({ ...st, ctimeNs: 5n }, 'v24.1.0', 'x64'), 'an edit (new ctime) must change the name');
  assert.is.not(cacheName(st, 'v24.1.0', 'x64'), cacheName(st, 'v20.19.0', 'x64'));
  assert.ok(CACHE_DIR.startsWith('/var/cache/'));
});

{
  // Files owned by root and by another user: only root can make them.
  const test = skippable(uvuTest, isRoot ? undefined : 'the cache directory and file checks need root (files owned by root and by others)');
  const base = isRoot ? mkdtempSync('/run/nrt-speed-cache-') : '';
  test.after(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });

  test('trusted: real directories owned by root and writable by root alone, up to /', () => {
    assert.ok(trustedDirectory(base));
    const open = join(base, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    assert.not.ok(trustedDirectory(open), 'world-writable');
    const sticky = join(base, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    assert.not.ok(trustedDirectory(sticky), 'sticky and world-writable');
    mkdirSync(join(open, 'inner'), { mode: 0o700 });
    assert.not.ok(trustedDirectory(join(open, 'inner')), 'a parent writable by others');
    const theirs = join(base, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    assert.not.ok(trustedDirectory(theirs), 'owned by another user');
    const link = join(base, 'link');
    symlinkSync(base, link);
    assert.not.ok(trustedDirectory(link), 'a symlink, even to a trusted directory');
    assert.not.ok(trustedDirectory(join(base, 'missing')));
    assert.not.ok(trustedDirectory('/tmp'), '/tmp is writable by everyone');
  });

  test('cacheDirectory makes the directory 0700, and refuses one that is not trusted', () => {
    const dir = join(base, 'made');
    assert.is(cacheDirectory(dir), dir);
    assert.is(statSync(dir).mode & 0o777, 0o700);
    assert.is(cacheDirectory(dir), dir, 'an existing trusted directory is used');
    const open = join(base, 'open2');
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.is(cacheDirectory(join(open, 'cache')), undefined, 'under a directory others can write');
    assert.not.ok(existsSync(join(open, 'cache')), 'made under an untrusted parent');
    symlinkSync(dir, join(base, 'made-link'));
    assert.is(cacheDirectory(join(base, 'made-link')), undefined, 'a symlink in place of the directory');
    const planted = join(base, 'planted');
    mkdirSync(planted, { mode: 0o755 });
    chownSync(planted, 65534, 65534);
    assert.is(cacheDirectory(planted), undefined, 'a directory someone else made first');
  });

  test('readCache takes only a regular file owned by root and writable by root alone, not through a symlink', () => {
    const dir = cacheDirectory(join(base, 'read'))!;
    writeFileSync(join(dir, 'good.v8'), 'code', { mode: 0o600 });
    assert.equal(readCache(dir, 'good.v8'), Buffer.from('code'));
    writeFileSync(join(dir, 'open.v8'), 'code', { mode: 0o600 });
    chmodSync(join(dir, 'open.v8'), 0o666);
    assert.is(readCache(dir, 'open.v8'), undefined, 'writable by others');
    writeFileSync(join(dir, 'theirs.v8'), 'code', { mode: 0o600 });
    chownSync(join(dir, 'theirs.v8'), 65534, 65534);
    assert.is(readCache(dir, 'theirs.v8'), undefined, 'owned by another user');
    symlinkSync(join(dir, 'good.v8'), join(dir, 'link.v8'));
    assert.is(readCache(dir, 'link.v8'), undefined, 'a symlink');
    mkdirSync(join(dir, 'dir.v8'));
    assert.is(readCache(dir, 'dir.v8'), undefined, 'a directory');
    assert.is(readCache(dir, 'missing.v8'), undefined);
  });

  test('writeCache: a root-only file put in place whole; only the newest few of this Node are kept, others stay', () => {
    const dir = cacheDirectory(join(base, 'write'))!;
    const mine = (n: number) => `${process.version}-${process.arch}-1-${n}-3-4.v8`;
    const other = 'v1.0.0-x64-1-2-3-4.v8';
    for (let n = 1; n <= 5; n += 1) {
      writeFileSync(join(dir, mine(n)), 'old', { mode: 0o600 });
      utimesSync(join(dir, mine(n)), n * 1000, n * 1000);
    }
    writeFileSync(join(dir, other), 'other', { mode: 0o600 });
    const name = `${process.version}-${process.arch}-5-6-7-8.v8`;
    assert.ok(writeCache(dir, name, Buffer.from('new code')));
    assert.is(readFileSync(join(dir, name), 'utf8'), 'new code');
    assert.is(statSync(join(dir, name)).mode & 0o777, 0o600);
    assert.equal(readdirSync(dir).sort(), [name, mine(5), mine(4), mine(3), other].sort());
    assert.not.ok(writeCache(join(base, 'nowhere'), name, Buffer.from('x')), 'a directory that is not there');
  });

  test('the loader: a warm run as root caches the bundle; a cache V8 refuses, or one not root\'s own, is not used and the run is the same', () => {
    const root = new URL('../../../', import.meta.url).pathname;
    const bin = join(root, 'bin', 'netns-run');
    const bundle = join(root, 'dist', 'netns-run-main.cjs');
    const file = join(CACHE_DIR, cacheName(statSync(bundle, { bigint: true })));
    const name = `nrt-speed-cache-${process.pid}`;
    const env = { PATH: `${dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin` };
    const run = (args: readonly string[]) => {
      const { status, stdout, stderr } = spawnSync(bin, args, { encoding: 'utf8', env });
      return { status, stdout, stderr };
    };
    const warm = [name, '--', 'sh', '-c', 'echo "$NETNS_RUN_NAME"'];
    try {
      assert.is(run(warm).status, 0, 'first use');
      rmSync(file, { force: true });
      assert.is(run(['--version']).status, 0);
      assert.not.ok(existsSync(file), 'a --version run made the cache: it would hold the wrong functions');
      const expected = run(warm);
      assert.equal(expected, { status: 0, stdout: `${name}\n`, stderr: '' });
      assert.ok(existsSync(file), `the warm run made no cache at ${file}`);
      assert.is(statSync(file).uid, 0);
      assert.is(statSync(file).mode & 0o077, 0);
      assert.equal(run(warm), expected, 'with the cache');
      // Garbage in its place: V8 refuses it, the run is the same, and the cache is made anew.
      writeFileSync(file, Buffer.alloc(4096, 7), { mode: 0o600 });
      assert.equal(run(warm), expected, 'with a refused cache');
      assert.is.not(readFileSync(file).subarray(0, 16).toString('hex'), Buffer.alloc(16, 7).toString('hex'), 'the refused cache was not replaced');
      // One others could have written is not read: the run is the same, and a root-only one replaces it.
      writeFileSync(file, Buffer.alloc(4096, 7), { mode: 0o600 });
      chmodSync(file, 0o666);
      assert.equal(run(warm), expected, 'with an untrusted cache');
      assert.is(statSync(file).mode & 0o077, 0, 'the untrusted cache is still there');
      // The set-up chunk has a cache of its own, made by a run that loaded it, under the same rules.
      const chunkFile = join(CACHE_DIR, cacheName(statSync(join(root, 'dist', 'netns-run-setup.cjs'), { bigint: true })));
      rmSync(chunkFile, { force: true });
      const status = run(['--status', name]);
      assert.is(status.status, 0, status.stderr);
      assert.ok(existsSync(chunkFile), `--status made no cache of the set-up chunk at ${chunkFile}`);
      assert.is(statSync(chunkFile).uid, 0);
      assert.is(statSync(chunkFile).mode & 0o077, 0);
      assert.equal(run(['--status', name]), status, 'with the chunk\'s cache');
      writeFileSync(chunkFile, Buffer.alloc(4096, 7), { mode: 0o600 });
      assert.equal(run(['--status', name]), status, 'with a refused chunk cache');
    } finally {
      spawnSync(bin, ['--down', name], { env, stdio: 'ignore' });
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    }
  });
}

test.run();
