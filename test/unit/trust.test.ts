// The one rule for "may root trust this file" (src/trust.ts): pure judgements
// on what stat says, then readTrusted on real files (as root, which alone can
// make a file owned by root; counted as skipped otherwise).
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetnsRunError } from '../../src/errors.js';
import { skippable } from '../support/skip.js';
import { directoryProblem, fileProblem, makePrivateDir, readTrusted, rootOnlyWritable } from '../../src/trust.js';

const file = (mode: number, uid = 0, size = 10) => ({ mode, uid, size, isFile: () => (mode & 0o170000) === 0o100000 });
const dir = (mode: number, uid = 0) => ({ mode, uid, isDirectory: () => (mode & 0o170000) === 0o040000 });

test('rootOnlyWritable: owned by root and writable by no one else', () => {
  for (const mode of [0o100644, 0o100600, 0o100444, 0o100640, 0o100400, 0o040755, 0o040700, 0o042755]) {
    assert.ok(rootOnlyWritable({ mode, uid: 0 }), mode.toString(8));
  }
  for (const mode of [0o100664, 0o100646, 0o100666, 0o100620, 0o100602, 0o040775, 0o040777, 0o041777, 0o041775]) {
    assert.not.ok(rootOnlyWritable({ mode, uid: 0 }), mode.toString(8));
  }
  for (const uid of [1, 1000, 65534]) assert.not.ok(rootOnlyWritable({ mode: 0o100644, uid }), `owner ${uid}`);
  assert.ok(rootOnlyWritable({ mode: 0o100644n, uid: 0n }), 'bigint stats');
});

test('fileProblem: who must be able to read it is the rule that differs', () => {
  const everyone = { readers: 'everyone', maxBytes: 100 } as const;
  const root = { readers: 'root', maxBytes: 100 } as const;
  const any = { readers: 'any', maxBytes: 100 } as const;
  assert.is(fileProblem(file(0o100644), everyone), undefined);
  assert.match(fileProblem(file(0o100640), everyone)!, /readable by everyone.*chmod 644/);
  assert.is(fileProblem(file(0o100600), root), undefined);
  assert.is(fileProblem(file(0o100400), root), undefined);
  for (const mode of [0o100644, 0o100640, 0o100604, 0o100610]) assert.match(fileProblem(file(mode), root)!, /readable by root alone.*chmod 600/, mode.toString(8));
  assert.is(fileProblem(file(0o100600), any), undefined);
  assert.is(fileProblem(file(0o100644), any), undefined);
  for (const rule of [everyone, root, any]) {
    assert.match(fileProblem(file(0o100664), rule)!, /owned by root and writable by no one else/);
    assert.match(fileProblem(file(0o100600, 1000), rule)!, /owned by root/);
    assert.match(fileProblem(file(0o040755), rule)!, /not a regular file/);
    assert.match(fileProblem(file(rule.readers === 'everyone' ? 0o100644 : 0o100600, 0, 101), rule)!, /larger than 100 bytes/);
  }
});

test('directoryProblem: a real directory root alone can change', () => {
  assert.is(directoryProblem(dir(0o040755)), undefined);
  assert.match(directoryProblem(dir(0o040775))!, /writable by no one else/);
  assert.match(directoryProblem(dir(0o041777))!, /writable by no one else/);
  assert.match(directoryProblem(dir(0o040755, 1000))!, /owned by root/);
  assert.match(directoryProblem(dir(0o120777))!, /not a symbolic link/);
});

const isRoot = process.geteuid?.() === 0;
// Counted as skipped, with the reason, where only the pure judgements can run.
const rootTest = skippable(test, isRoot ? undefined : 'readTrusted and makePrivateDir on real files need root to make files owned by root');

rootTest('readTrusted: reads a good file; refuses a symlink, a foreign owner, a group-writable directory; missing is undefined', () => {
  const base = mkdtempSync(join(tmpdir(), 'nrt-trust-'));
  try {
    chmodSync(base, 0o755);
    const good = join(base, 'good');
    writeFileSync(good, 'PrivateKey = x\n', { mode: 0o600 });
    const rule = { readers: 'root', maxBytes: 1024, directories: [base] } as const;
    assert.is(readTrusted(good, rule)?.toString(), 'PrivateKey = x\n');
    assert.is(readTrusted(join(base, 'missing'), rule), undefined);
    assert.is(readTrusted(good, { ...rule, directories: [join(base, 'nodir')] }), undefined);
    const link = join(base, 'link');
    symlinkSync(good, link);
    assert.throws(() => readTrusted(link, rule), (e: Error) => e instanceof NetnsRunError && /symbolic link/.test(e.message));
    chownSync(good, 1000, 1000);
    assert.throws(() => readTrusted(good, rule), (e: Error) => /must be owned by root/.test(e.message));
    chownSync(good, 0, 0);
    chmodSync(good, 0o644);
    assert.throws(() => readTrusted(good, rule), (e: Error) => /readable by root alone/.test(e.message) && !/PrivateKey/.test(e.message));
    chmodSync(good, 0o600);
    mkdirSync(join(base, 'sub'));
    chmodSync(base, 0o775);
    assert.throws(() => readTrusted(good, rule), (e: Error) => e.message.startsWith(`${base} must be a directory owned by root`));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

rootTest('makePrivateDir: makes a 0700 directory of root\'s, takes one, refuses one others may enter, one not root\'s, a symlink, a file', () => {
  const base = mkdtempSync(join(tmpdir(), 'nrm-private-'));
  try {
    chmodSync(base, 0o755);
    const made = join(base, 'made');
    makePrivateDir(made);
    const st = lstatSync(made);
    assert.ok(st.isDirectory() && st.uid === 0 && (st.mode & 0o777) === 0o700, `made ${(st.mode & 0o777).toString(8)} uid ${st.uid}`);
    makePrivateDir(made);
    const refused = (path: string, what: string) =>
      assert.throws(() => makePrivateDir(path), (e: Error) => e instanceof NetnsRunError && e.message === `${path} is not a directory only root can use; remove it and try again`, what);
    for (const [what, mode, uid] of [['0755', 0o755, 0], ['0710', 0o710, 0], ['0701', 0o701, 0], ['0770', 0o770, 0], ['owned by nobody, 0700', 0o700, 65534]] as const) {
      const path = join(base, `pre-${mode.toString(8)}-${uid}`);
      mkdirSync(path);
      chmodSync(path, mode);
      chownSync(path, uid, uid);
      refused(path, what);
    }
    const target = join(base, 'target');
    mkdirSync(target, { mode: 0o700 });
    symlinkSync(target, join(base, 'link'));
    refused(join(base, 'link'), 'a symlink to a good directory');
    writeFileSync(join(base, 'file'), '', { mode: 0o600 });
    refused(join(base, 'file'), 'a file');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
