// DNS isolation against the real kernel: what /etc/resolv.conf,
// /etc/nsswitch.conf and /run/nscd read as inside a namespace, that edits
// reach the next call, that the host's files are left alone, and that a real
// lookup inside goes to the namespace's resolver and never to the host's.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { lstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { describe, sandbox } from '../support/sandbox.js';
import { isRoot, netnsRun, NODE, removeNamespace, uniqueName, type Result } from '../support/netns-run.js';
import { skip, skippable } from '../support/skip.js';

const test = skippable(uvuTest, isRoot ? undefined : 'resolver kernel tests need root (namespaces and mounts)');

const DEFAULT_NAMESERVERS = ['2606:4700:4700::1111', '2001:4860:4860::8888', '1.1.1.1', '8.8.8.8'];

function hostResolvConfState(): { bytes: string; kind: string; ino: number; mtimeMs: number; mounts: string } {
  const st = lstatSync('/etc/resolv.conf', { throwIfNoEntry: false });
  const bytes = st ? readFileSync('/etc/resolv.conf').toString('base64') : '(missing)';
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => / \/etc\/resolv\.conf /.test(line)).join('\n');
  return { bytes, kind: st ? (st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other') : 'missing', ino: st?.ino ?? 0, mtimeMs: st?.mtimeMs ?? 0, mounts };
}
const hostBefore = isRoot ? hostResolvConfState() : undefined;

function ok(result: Result, what: string): string {
  assert.is(result.code, 0, `${what}: exit ${result.code}, stderr: ${result.stderr.trim()}`);
  return result.stdout;
}

async function inside(name: string, ...command: string[]): Promise<string> {
  return ok(await netnsRun([name, '--', ...command]), `netns-run ${name} -- ${command.join(' ')}`);
}

function nameservers(text: string): string[] {
  return text.split('\n').map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1]).filter((s): s is string => s !== undefined);
}

function hostsLine(text: string): string | undefined {
  return text.split('\n').find((line) => /^\s*hosts\s*:/.test(line));
}

/** Is `part` a subsequence of `whole` (same order, gaps allowed)? */
function inOrder(part: readonly string[], whole: readonly string[]): boolean {
  let at = 0;
  for (const line of whole) if (at < part.length && line === part[at]) at += 1;
  return at === part.length;
}

{
  test('missing resolv.conf: defaults are written to /etc/netns/NAME and are what /etc/resolv.conf reads inside', async () => {
    const name = uniqueName('rdef');
    try {
      const seen = await inside(name, 'cat', '/etc/resolv.conf');
      const written = readFileSync(`/etc/netns/${name}/resolv.conf`, 'utf8');
      assert.is(seen, written, 'inside /etc/resolv.conf is not /etc/netns/NAME/resolv.conf');
      assert.equal(nameservers(written), DEFAULT_NAMESERVERS);
    } finally {
      removeNamespace(name);
    }
  });

  test("an administrator's resolv.conf written before first use is kept byte for byte and is what inside reads", async () => {
    const name = uniqueName('radm');
    // Odd but valid: CRLF, tabs, trailing blanks, no final newline, UTF-8 in a comment.
    const admin = Buffer.from('# r\u00e9solveur de test\r\nnameserver\t192.0.2.53   \noptions ndots:3 timeout:1\n\n; last line', 'utf8');
    try {
      mkdirSync(`/etc/netns/${name}`, { recursive: true });
      writeFileSync(`/etc/netns/${name}/resolv.conf`, admin);
      const seen = (await inside(name, 'base64', '-w0', '/etc/resolv.conf')).trim();
      assert.is(seen, admin.toString('base64'), 'inside /etc/resolv.conf differs from the administrator\'s file');
      assert.ok(readFileSync(`/etc/netns/${name}/resolv.conf`).equals(admin), 'netns-run changed the administrator\'s resolv.conf');
    } finally {
      removeNamespace(name);
    }
  });

  test("an administrator's resolv.conf with bytes that are not UTF-8 (a Latin-1 comment) reads inside byte for byte", async () => {
    const name = uniqueName('rlat');
    const admin = Buffer.concat([Buffer.from('# r'), Buffer.from([0xe9]), Buffer.from('solveur\nnameserver 192.0.2.53\n')]);
    try {
      mkdirSync(`/etc/netns/${name}`, { recursive: true });
      writeFileSync(`/etc/netns/${name}/resolv.conf`, admin);
      const seen = (await inside(name, 'base64', '-w0', '/etc/resolv.conf')).trim();
      assert.ok(readFileSync(`/etc/netns/${name}/resolv.conf`).equals(admin), 'netns-run changed the administrator\'s resolv.conf');
      assert.is(Buffer.from(seen, 'base64').toString('hex'), admin.toString('hex'), 'inside /etc/resolv.conf differs from the administrator\'s file');
    } finally {
      removeNamespace(name);
    }
  });

  test('an edit of resolv.conf is seen by the next call: written in place, and saved the editor way (temp file renamed over)', async () => {
    const name = uniqueName('redit');
    const file = `/etc/netns/${name}/resolv.conf`;
    try {
      await inside(name, 'true');
      const inodeBefore = statSync(file).ino;
      writeFileSync(file, 'nameserver 192.0.2.1\nnameserver 192.0.2.2\n');
      assert.is(statSync(file).ino, inodeBefore, 'the in-place write made a new file: it tests nothing');
      assert.is(await inside(name, 'cat', '/etc/resolv.conf'), 'nameserver 192.0.2.1\nnameserver 192.0.2.2\n', 'in-place edit not seen');

      // Shorter than before: what is left of the old text must not show.
      writeFileSync(`${file}.tmp`, 'nameserver 192.0.2.3\n');
      renameSync(`${file}.tmp`, file);
      assert.is.not(statSync(file).ino, inodeBefore, 'the rename kept the inode: it tests nothing');
      assert.is(await inside(name, 'cat', '/etc/resolv.conf'), 'nameserver 192.0.2.3\n', 'editor-way edit not seen');

      const nsswitch = `/etc/netns/${name}/nsswitch.conf`;
      const edited = `${readFileSync(nsswitch, 'utf8')}# edited by the test\n`;
      writeFileSync(`${nsswitch}.tmp`, edited);
      renameSync(`${nsswitch}.tmp`, nsswitch);
      assert.is(await inside(name, 'cat', '/etc/nsswitch.conf'), edited, 'editor-way edit of nsswitch.conf not seen');
    } finally {
      removeNamespace(name);
    }
  });

  test("a host nsswitch.conf with `hosts: files resolve [!UNAVAIL=return] dns`: inside has files dns without resolve, other lines kept", async () => {
    const name = uniqueName('nssr');
    const host = [
      '# host nsswitch.conf made by the test',
      'passwd:         files',
      'group:          files',
      '',
      'hosts:          files resolve [!UNAVAIL=return] dns',
      'networks:       files',
      'services:       db files',
      '',
    ].join('\n');
    try {
      const result = await sandbox(
        `printf %s "$HOST_NSSWITCH" > "$SANDBOX/nsswitch.conf"
mount --bind "$SANDBOX/nsswitch.conf" /etc/nsswitch.conf
section inside; netns_run "$NAME" -- cat /etc/nsswitch.conf
section host; cat /etc/nsswitch.conf`,
        { env: { NAME: name, HOST_NSSWITCH: host } },
      );
      const seen = result.sections.inside;
      assert.ok(seen !== undefined && result.code === 0, `sandbox failed: ${describe(result)}`);
      assert.is(result.sections.host, host, "the sandbox host's nsswitch.conf changed");
      assert.is(seen, readFileSync(`/etc/netns/${name}/nsswitch.conf`, 'utf8'), 'inside is not /etc/netns/NAME/nsswitch.conf');
      const line = hostsLine(seen!);
      assert.ok(line !== undefined, `no hosts: line inside:\n${seen}`);
      assert.ok(/^\s*hosts\s*:\s*files\s+dns\s*$/.test(line!), `hosts line inside: ${JSON.stringify(line)}`);
      const others = host.split('\n').filter((l) => !/^\s*hosts\s*:/.test(l));
      assert.ok(inOrder(others, seen!.split('\n')), `the host's other lines are not all kept in order:\n${seen}`);
    } finally {
      removeNamespace(name);
    }
  });

  test("an administrator's nsswitch.conf is used as is, even one that keeps resolve", async () => {
    const name = uniqueName('nssa');
    const admin = '# the administrator knows best\npasswd: files\ngroup: files\nhosts: files resolve [!UNAVAIL=return] dns\n';
    try {
      mkdirSync(`/etc/netns/${name}`, { recursive: true });
      writeFileSync(`/etc/netns/${name}/nsswitch.conf`, admin);
      assert.is(await inside(name, 'cat', '/etc/nsswitch.conf'), admin);
      assert.is(readFileSync(`/etc/netns/${name}/nsswitch.conf`, 'utf8'), admin, "netns-run changed the administrator's nsswitch.conf");
    } finally {
      removeNamespace(name);
    }
  });

  test('resolv.conf and nsswitch.conf are read-only inside, also to root', async () => {
    // In a sandbox with /etc overlaid: were the files not covered inside, the
    // writes would reach the sandbox's copy of the host's files, not this machine's.
    const name = uniqueName('rro');
    try {
      const result = await sandbox(
        `section first; netns_run "$NAME" -- cat /etc/resolv.conf /etc/nsswitch.conf
for file in /etc/resolv.conf /etc/nsswitch.conf; do
  section "write $file"; netns_run "$NAME" -- sh -c "id -u; echo tampered >> $file" 2>&1; echo "rc=$?"
done
section again; netns_run "$NAME" -- cat /etc/resolv.conf /etc/nsswitch.conf
section expected; cat "/etc/netns/$NAME/resolv.conf" "/etc/netns/$NAME/nsswitch.conf"
section host; cat /etc/resolv.conf /etc/nsswitch.conf | grep -c tampered`,
        { overlay: ['/etc'], env: { NAME: name } },
      );
      const expected = result.sections.expected;
      assert.ok(expected !== undefined && nameservers(expected).length > 0, `sandbox failed: ${describe(result)}`);
      assert.is(result.sections.first, expected, `inside is not the namespace's files: ${describe(result)}`);
      for (const file of ['/etc/resolv.conf', '/etc/nsswitch.conf']) {
        const write = result.sections[`write ${file}`] ?? '';
        assert.ok(write.startsWith('0\n'), `the write of ${file} was not tried as root: ${JSON.stringify(write)}`);
        assert.match(write, /Read-only file system/, `writing ${file} inside did not fail as read-only: ${JSON.stringify(write)}`);
        assert.not.match(write, /rc=0\n/, `writing ${file} inside succeeded`);
      }
      assert.is(result.sections.again, expected, 'the files inside changed');
      assert.is(result.sections.host, '0\n', "a write inside reached the host's files");
    } finally {
      removeNamespace(name);
    }
  });

  test("/run/nscd inside is the namespace's own: the host's nscd socket is hidden, /run/netns-run/NAME/nscd shows", async () => {
    const name = uniqueName('nscd');
    try {
      const result = await sandbox(
        `mount -t tmpfs nrt-host-nscd /run/nscd
"$NODE" -e "require('net').createServer().listen('/run/nscd/socket', () => process.exit(0))"
echo host > /run/nscd/nrt-host-marker
section first; netns_run "$NAME" -- ls -A /run/nscd
echo ns > "/run/netns-run/$NAME/nscd/nrt-ns-marker"
section second; netns_run "$NAME" -- sh -c 'ls -A /run/nscd; test -S /run/nscd/socket && echo socket-visible'
section host; ls -A /run/nscd; test -S /run/nscd/socket && echo socket-still-there`,
        { env: { NAME: name } },
      );
      assert.ok(result.code === 0 && result.sections.second !== undefined, `sandbox failed: ${describe(result)}`);
      assert.is(result.sections.host, 'nrt-host-marker\nsocket\nsocket-still-there\n', 'the sandbox host had no nscd socket to hide: the test tests nothing');
      assert.is(result.sections.first, '', `inside /run/nscd shows the host's: ${JSON.stringify(result.sections.first)}`);
      assert.is(result.sections.second, 'nrt-ns-marker\n', `inside /run/nscd is not /run/netns-run/NAME/nscd: ${JSON.stringify(result.sections.second)}`);
    } finally {
      removeNamespace(name);
    }
  });

  // A responder for one name, run inside the namespace on its loopback.
  const RESPONDER = `
const socket = require('dgram').createSocket('udp4');
socket.on('message', (m, from) => {
  let i = 12; const labels = [];
  while (m[i]) { labels.push(m.subarray(i + 1, i + 1 + m[i]).toString()); i += m[i] + 1; }
  const qname = labels.join('.').toLowerCase(); const qtype = m.readUInt16BE(i + 1);
  process.stdout.write('query ' + qname + ' ' + qtype + '\\n');
  const known = qname === 'example.test';
  const header = Buffer.alloc(12); m.copy(header, 0, 0, 2);
  header.writeUInt16BE(known ? 0x8180 : 0x8183, 2); header.writeUInt16BE(1, 4);
  header.writeUInt16BE(known && qtype === 1 ? 1 : 0, 6);
  const answer = known && qtype === 1 ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 77]) : Buffer.alloc(0);
  socket.send(Buffer.concat([header, m.subarray(12, i + 5), answer]), from.port, from.address);
});
socket.bind(53, '127.0.0.1', () => process.stdout.write('ready\\n'));`;

  function startResponder(name: string): Promise<{ child: ChildProcess; queries: () => string[] }> {
    const child = spawn('nsenter', [`--net=/run/netns/${name}`, '--', NODE, '-e', RESPONDER], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.startsWith('ready\n')) resolve({ child, queries: () => out.split('\n').filter((l) => l.startsWith('query ')) });
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`the responder inside ${name} ended (${code}): ${err.trim()}`)));
    });
  }

  test("a real lookup inside goes to the namespace's resolver, never to the host's", async () => {
    const name = uniqueName('dns');
    const hostQueries: string[] = [];
    const hostSocket = createSocket('udp4');
    hostSocket.on('message', (m) => hostQueries.push(m.toString('hex')));
    let responder: ChildProcess | undefined;
    try {
      const hostListening = await new Promise<boolean>((resolve, reject) => {
        hostSocket.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
        hostSocket.bind(53, '127.0.0.1', () => resolve(true));
      });
      if (!hostListening) skip("127.0.0.1:53 on the host is taken: a leak to the host's loopback is not checked");
      mkdirSync(`/etc/netns/${name}`, { recursive: true });
      writeFileSync(`/etc/netns/${name}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:2\n');
      await inside(name, 'true');
      const started = await startResponder(name);
      responder = started.child;
      const answer = await netnsRun([name, '--', 'getent', 'hosts', 'example.test']);
      assert.is(answer.code, 0, `getent inside failed (${answer.code}): ${answer.stderr.trim()}; the responder saw: ${started.queries().join(', ') || 'nothing'}`);
      assert.match(answer.stdout, /^192\.0\.2\.77\s/m);
      assert.ok(started.queries().includes('query example.test 1'), `the responder saw: ${started.queries().join(', ')}`);
      // Had the lookup run in the host's network namespace, the query would have come here.
      assert.is(hostQueries.length, 0, `the host's 127.0.0.1:53 got ${hostQueries.length} queries`);
    } finally {
      responder?.kill('SIGKILL');
      hostSocket.close();
      removeNamespace(name);
    }
  });

  test("the host's /etc/resolv.conf is unchanged after all this", () => {
    assert.equal(hostResolvConfState(), hostBefore);
  });
}

test.run();
