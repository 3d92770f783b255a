// The reads --list makes once a namespace (issue 16): readText, the
// network namespace judged by nsfs's device in the one stat that gives its
// id (the listing read that device once), which must say what statfs says,
// and the kept mount namespace's state. Needs no root: this process's own namespace files under
// /proc/self/ns stand in for bound ones.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { namespaceId, namespaceState, nsfsDevice } from '../../src/ensure/inspect.js';
import { pathsFor } from '../../src/name.js';
import { readText } from '../../src/network/files.js';

const dir = mkdtempSync(join(tmpdir(), 'nrl-inspect-'));
const NET = '/proc/self/ns/net';
const MNT = '/proc/self/ns/mnt';

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('readText: a missing file is empty; every byte of a file, whatever its size', () => {
  assert.is(readText(join(dir, 'missing')), '');
  for (const size of [0, 1, 50, 1023, 1024, 1025, 2048, 3000, 70_000]) {
    const text = Array.from({ length: size }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const file = join(dir, `text-${size}`);
    writeFileSync(file, text);
    assert.is(readText(file), text, `${size} bytes`);
  }
  // Text that is not ASCII, across 1 KiB edges in the middle of a character.
  const wide = `${'x'.repeat(1023)}é${'ü'.repeat(600)}\n`;
  writeFileSync(join(dir, 'wide'), wide);
  assert.is(readText(join(dir, 'wide')), wide);
  assert.is(readText(dir), '', 'a directory is no text');
});

test('nsfsDevice: the device of this process namespace files', () => {
  const nsfs = nsfsDevice();
  assert.ok(typeof nsfs === 'bigint');
  assert.ok(namespaceId(NET)?.startsWith(`${nsfs}:`));
});

test('namespaceId with nsfs device: the same id as statfs judges; a file elsewhere, or none, is no namespace', () => {
  const nsfs = nsfsDevice()!;
  assert.is(namespaceId(NET, nsfs), namespaceId(NET));
  assert.is.not(namespaceId(MNT, nsfs), namespaceId(NET, nsfs));
  const plain = join(dir, 'plain');
  writeFileSync(plain, '');
  for (const path of [plain, join(dir, 'missing'), dir]) {
    assert.is(namespaceId(path), undefined, path);
    assert.is(namespaceId(path, nsfs), undefined, path);
  }
});

test('namespaceState: current, stale and missing mount namespaces; none looked for without a state directory', () => {
  const id = namespaceId(NET)!;
  const record = join(dir, 'mntns.for');
  writeFileSync(record, `${id}\nmnt:[1]\n`);
  const otherRecord = join(dir, 'other.for');
  writeFileSync(otherRecord, 'net:0:0\nmnt:[1]\n');
  const plain = join(dir, 'plain-mntns');
  writeFileSync(plain, '');
  const cases = [
    { mntns: MNT, mntnsFor: record, want: 'current' },
    { mntns: MNT, mntnsFor: otherRecord, want: 'stale' },
    { mntns: MNT, mntnsFor: join(dir, 'missing.for'), want: 'stale' },
    { mntns: plain, mntnsFor: record, want: 'stale' },
    { mntns: join(dir, 'missing'), mntnsFor: record, want: 'missing' },
  ] as const;
  for (const { mntns, mntnsFor, want } of cases) {
    const paths = { ...pathsFor('nrl-unit'), netns: NET, mntns, mntnsFor };
    assert.equal(namespaceState(paths, id), { netns: 'mounted', mntns: want }, mntns);
    // A listing that found no state directory for the name looks at nothing there.
    assert.equal(namespaceState(paths, id, false), { netns: 'mounted', mntns: 'missing' }, mntns);
  }
});

test.run();
