// All or nothing: a call that fails, early or half-way through setting up,
// or that is interrupted while setting up, leaves nothing it made behind.
import { spawn } from 'node:child_process';
import { chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import {
  anythingMentioning, assertOneErrorLine, eventually, everythingOf, inode, isNsfs, listing, mountCount, nsLink, present, processesIn,
  withNamespace,
} from '../support/kernel.js';
import { BIN, isRoot, netnsRun, NODE, sh, uniqueName, type Result } from '../support/netns-run.js';
import { skippable } from '../support/skip.js';

const test = skippable(uvuTest, isRoot ? undefined : 'kernel rollback tests need root (ip netns add, mount)');

/** A command that leaves a trace if it runs: none of these calls may get that far. */
function touching(marker: string): string[] {
  return ['sh', '-c', `touch ${marker}`];
}

{
  test('invalid names: 125, one line, and nothing made for them', async () => {
    const tag = uniqueName('bad');
    const marker = join(tmpdir(), `${tag}.ran`);
    const names = [`../${tag}`, `${tag}/b`, '', `${tag}-${'x'.repeat(300)}`, `${tag}\nx`, `-${tag}`, `.${tag}`];
    try {
      for (const name of names) {
        const result = await netnsRun([name, '--', ...touching(marker)]);
        const what = `name ${JSON.stringify(name.slice(0, 40))}`;
        assertOneErrorLine(result, 125, what);
        assert.not.ok(present(marker), `${what}: the command ran`);
        assert.equal(anythingMentioning(tag), [], `${what}: left behind`);
      }
      // The empty name would reach the bare directories themselves.
      assert.not.ok(present('/run/netns-'), '/run/netns- was made');
      assert.not.ok(present('/run/lock/netns-run/.lock'), 'a lock for the empty name was made');
    } finally {
      rmSync(marker, { force: true });
    }
  });

  test('command not found (127) on a new name: nothing made for the name', async () => {
    await withNamespace('nf', async (name) => {
      for (const command of [`${name}-no-such-command`, `/nonexistent/${name}`]) {
        const result = await netnsRun([name, '--', command]);
        assertOneErrorLine(result, 127, command);
        assert.equal(everythingOf(name), [], `${command}: left behind`);
      }
    });
  });

  test('command not executable (126) on a new name: nothing made for the name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nrt-rollback-'));
    try {
      await withNamespace('nx', async (name) => {
        const script = join(dir, 'not-executable');
        writeFileSync(script, '#!/bin/sh\nexit 0\n');
        chmodSync(script, 0o644);
        for (const command of [script, dir]) {
          const result = await netnsRun([name, '--', command]);
          assertOneErrorLine(result, 126, command);
          assert.equal(everythingOf(name), [], `${command}: left behind`);
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a failure after the namespace was made (resolv.conf is a directory): 125, one line, everything netns-run made taken back', async () => {
    await withNamespace('half', async (name) => {
      sh(`mkdir -p /etc/netns/${name}/resolv.conf`);
      const result = await netnsRun([name, '--', 'true']);
      assertOneErrorLine(result, 125, 'resolv.conf a directory');
      assert.match(result.stderr, `/etc/netns/${name}/resolv.conf`, 'the message does not name the file');
      assert.equal(everythingOf(name), [`/etc/netns/${name}`], 'left behind');
      assert.equal(listing(`/etc/netns/${name}`), ['resolv.conf'], 'files netns-run wrote in /etc/netns/NAME were left');
    });
  });

  test('the same failure in a namespace made beforehand: that namespace stays, the rest is taken back', async () => {
    await withNamespace('halfpre', async (name) => {
      sh(`ip netns add ${name} && mkdir -p /etc/netns/${name}/resolv.conf`);
      const before = inode(`/run/netns/${name}`);
      const result = await netnsRun([name, '--', 'true']);
      assertOneErrorLine(result, 125, 'resolv.conf a directory');
      assert.ok(isNsfs(`/run/netns/${name}`), 'the namespace netns-run did not make was removed');
      assert.is(inode(`/run/netns/${name}`), before, 'the namespace was replaced');
      assert.is(mountCount(`/run/netns/${name}`), 1, 'mounts at /run/netns/NAME');
      assert.equal(everythingOf(name).sort(), [`/etc/netns/${name}`, `/run/netns/${name}`, `ip netns list: ${name}`, `mount /run/netns/${name}`].sort(), 'left behind');
      assert.equal(listing(`/etc/netns/${name}`), ['resolv.conf'], 'files netns-run wrote in /etc/netns/NAME were left');
    });
  });

  test('a file at /run/netns/NAME that is no namespace: 125, one line, the file untouched, the state directory taken back', async () => {
    await withNamespace('notns', async (name) => {
      writeFileSync(`/run/netns/${name}`, 'not a namespace\n');
      const result = await netnsRun([name, '--', 'true']);
      assertOneErrorLine(result, 125, 'non-empty file');
      assert.is(readFileSync(`/run/netns/${name}`, 'utf8'), 'not a namespace\n', 'the file was changed');
      assert.equal(everythingOf(name), [`/run/netns/${name}`, `ip netns list: ${name}`], 'left behind');
    });
  });

  /**
   * Interrupts netns-run at a known point of its setup. The test makes the
   * state directory itself and puts a FIFO where netns-run keeps its copy of
   * resolv.conf, so netns-run blocks reading it once it has made the network
   * namespace, the defaults in /etc/netns/NAME and the state directory's
   * mount, and is about to make the mount namespace. (A FIFO in
   * /etc/netns/NAME itself is refused before anything is read.) Opening the
   * FIFO for writing returns exactly then; the signal is sent while
   * netns-run waits, and the content written after it lets netns-run go on
   * to where it handles the signal.
   */
  async function interrupted(signal: NodeJS.Signals): Promise<void> {
    await withNamespace(`int${signal.slice(3).toLowerCase()}`, async (name) => {
      const marker = join(tmpdir(), `${name}.ran`);
      const fifoPath = `/run/netns-run/${name}/resolv.conf`;
      sh(`mkdir -p /run/netns-run/${name} && mkfifo ${fifoPath}`);
      const child = spawn(NODE, [BIN, name, '--', ...touching(marker)], { cwd: '/tmp', stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.resume();
      const ended = new Promise<Result>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig, stdout: '', stderr })));
      // A netns-run that hangs is ended, so that the test fails instead of hanging.
      const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const opening = open(fifoPath, 'w');
      try {
        // Should netns-run end without reading the FIFO, our open would wait forever: a reader of our own releases it.
        if ((await Promise.race([opening.then(() => 'reading'), ended.then(() => 'ended')])) === 'ended') {
          const reader = await open(fifoPath, constants.O_RDONLY | constants.O_NONBLOCK);
          await (await opening).close();
          await reader.close();
          const early = await ended;
          assert.unreachable(`netns-run ended before reading resolv.conf: code ${early.code}, signal ${early.signal}, stderr: ${early.stderr}`);
        }
        const fifo = await opening;
        let link: string;
        try {
          assert.ok(isNsfs(`/run/netns/${name}`), 'precondition: the namespace is made when netns-run reads resolv.conf');
          assert.is(mountCount('/run/netns-run'), 1, 'precondition: the state root is mounted');
          link = nsLink('net', `/run/netns/${name}`);
          child.kill(signal);
          // netns-run rewrites its copy next: without the FIFO in its way, that makes a plain file.
          rmSync(fifoPath);
          await fifo.writeFile('nameserver 192.0.2.1\n');
        } finally {
          await fifo.close();
        }
        const result = await ended;
        // Interrupted, it ends the way an uncaught signal ends a process, so that its caller sees the signal.
        assert.is(result.signal, signal, `ended with code ${result.code}, signal ${result.signal}, stderr: ${result.stderr}`);
        assert.not.ok(present(marker), 'the command ran');
        // Only the directory the test made is left, and empty: the FIFO went with the copies it stood for.
        assert.equal(everythingOf(name), [`/run/netns-run/${name}`], 'left behind');
        assert.equal(listing(`/run/netns-run/${name}`), [], 'files netns-run made in its state directory were left');
        // The helper that held the mount namespace lives in the network namespace: it must be gone too.
        assert.ok(await eventually(() => processesIn(link).length === 0), `processes left in the namespace: ${processesIn(link).join(' ')}`);
      } finally {
        // Cleanup must not race a netns-run still at work: it ends before the namespace is removed.
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await ended;
        clearTimeout(guard);
        rmSync(marker, { force: true });
      }
    });
  }

  test('SIGTERM while setting up: nothing is left', () => interrupted('SIGTERM'));
  test('SIGINT while setting up: nothing is left', () => interrupted('SIGINT'));

  test('a caller who may only use NAME, finding it gone under the lock, is refused and leaves nothing', async () => {
    // The policy looked before the lock and saw NAME (use is enough then);
    // root removed it before the lock was taken. Under the lock the
    // decision is taken again, and making NAME needs create.
    const name = uniqueName('gone');
    const { ensureNamespace } = await import('../../src/ensure/index.js');
    const { pathsFor } = await import('../../src/name.js');
    const { CreateRefused } = await import('../../src/policy.js');
    const refusal = new CreateRefused('bob', name);
    try {
      let caught: unknown;
      await ensureNamespace(pathsFor(name), refusal).catch((error: unknown) => (caught = error));
      assert.is(caught, refusal, 'the namespace was made for a caller who may only use it');
      assert.equal(everythingOf(name), [], 'left behind');
      // Without the refusal the same call makes it: the test does not pass for another reason.
      await ensureNamespace(pathsFor(name));
      assert.ok(present(`/run/netns/${name}`), 'not made even without the refusal');
    } finally {
      sh(`${BIN} --down ${name} --force >/dev/null 2>&1; rm -rf /etc/netns/${name}; true`);
    }
  });
}

test.run();
