// "Root alone can change it": what netns-run runs or trusts as root must be
// owned by root and writable by no one else. Each rule here gets the file or
// directory it guards made wrong on purpose (in a private mount sandbox for
// the system's own files, so that the host is never touched), and the run
// must end as netns-run's one line and 125 with nothing made. Each test fails
// if its check in src/ is removed or weakened (scripts/mutants.json names it).
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { assertOneErrorLine, present } from '../support/kernel.js';
import { isRoot, netnsRun, removeNamespace, uniqueName } from '../support/netns-run.js';
import { describe, sandbox } from '../support/sandbox.js';
import { skippable } from '../support/skip.js';

const test = skippable(uvuTest, isRoot ? undefined : 'trust tests need root (files owned by root and by others, namespaces, mounts)');

/** Another owner than root: nobody. */
const NOBODY = 65534;

const ENV: NodeJS.ProcessEnv = { ...process.env };
delete ENV.NODE_EXTRA_CA_CERTS;

const made: string[] = [];
test.after(() => made.forEach(removeNamespace));

function fresh(tag: string): string {
  const name = uniqueName(tag);
  made.push(name);
  return name;
}

// ---- helpers (src/tools.ts) -----------------------------------------------------

/**
 * In a sandbox, a copy of /usr/bin/HELPER prepared by PREPARE (run on the
 * copy, $COPY) is bound over the real one; netns-run NAME -- true runs there.
 */
async function withHelper(helper: string, prepare: string, name: string) {
  return sandbox(`
    COPY="$SANDBOX/${helper}"
    cp /usr/bin/${helper} "$COPY"
    ${prepare}
    mount --bind "$COPY" /usr/bin/${helper}
    netns_run ${name} -- true
  `, { env: { NODE_EXTRA_CA_CERTS: '' } });
}

for (const [helper, what, prepare] of [
  ['nsenter', 'owned by a plain user', `chown ${NOBODY}:${NOBODY} "$COPY"; chmod 755 "$COPY"`],
  ['setpriv', 'owned by a plain user', `chown ${NOBODY}:${NOBODY} "$COPY"; chmod 755 "$COPY"`],
  ['nsenter', 'owned by root, writable by its group', 'chmod 775 "$COPY"'],
  ['nsenter', 'owned by root, writable by everyone', 'chmod 757 "$COPY"'],
] as const) {
  test(`a helper (${helper}) ${what} is not run as root: 125, one line, nothing made`, async () => {
    const name = fresh('thelp');
    const result = await withHelper(helper, prepare, name);
    assertOneErrorLine(result, 125, `${helper} ${what}`);
    assert.match(result.stderr, new RegExp(`/usr/bin/${helper} can be changed by someone other than root`), describe(result));
    assert.not.ok(present(`/run/netns/${name}`), `${name} was made: ${describe(result)}`);
  });
}

test('the control: the same copy, root-owned and 0755, is run (the sandbox itself is not what refuses)', async () => {
  const name = fresh('thelpok');
  const result = await withHelper('nsenter', 'chmod 755 "$COPY"', name);
  assert.is(result.code, 0, describe(result));
});

// ---- the state directory /run/netns-run/NAME (src/ensure/lock.ts) --------------------

for (const [what, uid, mode] of [
  ['owned by a plain user, 0755', NOBODY, 0o755],
  ['owned by root, writable by its group (0775)', 0, 0o775],
  ['owned by root, writable by everyone (0757)', 0, 0o757],
  ['owned by a plain user and writable by everyone (0777)', NOBODY, 0o777],
] as const) {
  test(`/run/netns-run/NAME made beforehand ${what}: refused before anything is made`, async () => {
    const name = fresh('tstate');
    const dir = `/run/netns-run/${name}`;
    mkdirSync(dir, { recursive: true });
    chownSync(dir, uid, uid);
    chmodSync(dir, mode);
    try {
      const result = await netnsRun([name, '--', 'true'], { env: ENV });
      assertOneErrorLine(result, 125, `state directory ${what}`);
      assert.match(result.stderr, new RegExp(`${dir} is not owned by root or is writable by others`));
      assert.not.ok(present(`/run/netns/${name}`), 'the namespace was made');
      assert.not.ok(present(`${dir}/mntns`), 'the mount namespace was kept in the untrusted directory');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('the control: /run/netns-run/NAME made beforehand by root, 0755, is used', async () => {
  const name = fresh('tstateok');
  const dir = `/run/netns-run/${name}`;
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const result = await netnsRun([name, '--', 'true'], { env: ENV });
  assert.is(result.code, 0, `${result.code}: ${result.stderr}`);
});

test.run();
