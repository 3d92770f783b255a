import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultResolvConf, filterHostsLine, namespaceNsswitch } from '../../src/defaults.js';

/** The items of a hosts: line (services and [actions]), however it is spaced. */
function items(line: string): string[] {
  const match = /^\s*hosts\s*:(.*)$/.exec(line);
  assert.ok(match, `not a hosts line: ${JSON.stringify(line)}`);
  return match![1]!.trim().split(/\s+/);
}

test("Debian's hosts line is left as it is", () => {
  assert.is(filterHostsLine('hosts:          files dns'), 'hosts: files dns');
  assert.is(filterHostsLine('hosts:          files myhostname dns'), 'hosts: files myhostname dns');
});

test("Ubuntu's mdns4_minimal goes, with its [NOTFOUND=return]", () => {
  // Keeping the action would stop every lookup after files: the namespace would resolve nothing.
  assert.is(filterHostsLine('hosts:          files mdns4_minimal [NOTFOUND=return] dns'), 'hosts: files dns');
  assert.is(filterHostsLine('hosts: files mdns4_minimal [NOTFOUND=return] dns myhostname'), 'hosts: files dns myhostname');
});

test("Fedora's and systemd's resolve goes, with its [!UNAVAIL=return]", () => {
  assert.is(filterHostsLine('hosts:      files myhostname resolve [!UNAVAIL=return] dns'), 'hosts: files myhostname dns');
  assert.is(
    filterHostsLine('hosts:      files myhostname mdns4_minimal [NOTFOUND=return] resolve [!UNAVAIL=return] dns'),
    'hosts: files myhostname dns',
  );
  assert.is(
    filterHostsLine('hosts: mymachines resolve [!UNAVAIL=return] files myhostname dns'),
    'hosts: mymachines files myhostname dns',
  );
});

test('every host-side service goes', () => {
  for (const service of ['resolve', 'mdns', 'mdns4', 'mdns6', 'mdns_minimal', 'mdns4_minimal', 'mdns6_minimal', 'wins']) {
    assert.equal(items(filterHostsLine(`hosts: files ${service} dns`)), ['files', 'dns'], service);
  }
});

test('services that only look like host-side ones stay', () => {
  assert.equal(items(filterHostsLine('hosts: files resolver mdns4_minimalist dns')), ['files', 'resolver', 'mdns4_minimalist', 'dns']);
});

test('actions that belong to a kept service stay', () => {
  assert.equal(items(filterHostsLine('hosts: files [SUCCESS=return] resolve [!UNAVAIL=return] dns')), ['files', '[SUCCESS=return]', 'dns']);
});

test('spacing variants: tabs, space before the colon, none after it, spaces inside [ ], trailing blanks', () => {
  assert.equal(items(filterHostsLine('hosts:files\tresolve\t[!UNAVAIL=return]\tdns')), ['files', 'dns']);
  assert.equal(items(filterHostsLine('  hosts :  files  mdns4_minimal  [NOTFOUND = return]  dns  ')), ['files', 'dns']);
  assert.equal(items(filterHostsLine('hosts:\tfiles resolve[!UNAVAIL=return]dns')), ['files', 'dns']);
  assert.equal(items(filterHostsLine('hosts: files mdns4_minimal [ NOTFOUND=return ] dns')), ['files', 'dns']);
});

test('comments: a commented-out line is untouched, a trailing comment does not count as services', () => {
  assert.is(filterHostsLine('# hosts: files resolve [!UNAVAIL=return] dns'), '# hosts: files resolve [!UNAVAIL=return] dns');
  assert.is(filterHostsLine('#hosts: resolve'), '#hosts: resolve');
  const filtered = filterHostsLine('hosts: files resolve dns # resolve first, then dns');
  assert.equal(items(filtered), ['files', 'dns']);
});

test('a line with only resolve gets files dns: no service at all would resolve nothing', () => {
  assert.is(filterHostsLine('hosts: resolve'), 'hosts: files dns');
  assert.is(filterHostsLine('hosts: resolve [!UNAVAIL=return]'), 'hosts: files dns');
  assert.is(filterHostsLine('hosts: mdns4_minimal [NOTFOUND=return] resolve [!UNAVAIL=return]'), 'hosts: files dns');
  assert.is(filterHostsLine('hosts:'), 'hosts: files dns');
});

test('an action list left first, with no service before it, is dropped', () => {
  assert.equal(items(filterHostsLine('hosts: resolve [!UNAVAIL=return] files dns')), ['files', 'dns']);
  assert.equal(items(filterHostsLine('hosts: [NOTFOUND=return] files dns')), ['files', 'dns']);
  assert.equal(items(filterHostsLine('hosts: [NOTFOUND=return] [UNAVAIL=continue] files')), ['files']);
});

test('lines of other databases are untouched', () => {
  for (const line of ['passwd:         files systemd', 'networks:       files', 'hostsx: resolve', 'ghosts: resolve', '', '   ']) {
    assert.is(filterHostsLine(line), line);
  }
});

const DEBIAN_NSSWITCH = `# /etc/nsswitch.conf
#
# Example configuration of GNU Name Service Switch functionality.

passwd:         files systemd
group:          files systemd
shadow:         files
gshadow:        files

hosts:          files mdns4_minimal [NOTFOUND=return] dns myhostname
networks:       files

protocols:      db files
services:       db files
ethers:         db files
rpc:            db files

netgroup:       nis
`;

test('namespaceNsswitch keeps every other line and filters the hosts line', () => {
  const out = namespaceNsswitch('wg', DEBIAN_NSSWITCH);
  const lines = out.split('\n');
  assert.ok(lines[0]!.startsWith('#') && lines[0]!.includes('wg'), lines[0]);
  for (const line of DEBIAN_NSSWITCH.split('\n')) {
    if (line.startsWith('hosts:') || line === '') continue;
    assert.ok(lines.includes(line), `lost ${JSON.stringify(line)}`);
  }
  const hosts = lines.filter((line) => /^\s*hosts\s*:/.test(line));
  assert.equal(hosts, ['hosts: files dns myhostname']);
  assert.ok(out.endsWith('\n') && !out.endsWith('\n\n'), 'ends with exactly one newline');
});

test('namespaceNsswitch adds hosts: files dns when the host file has no hosts line', () => {
  const out = namespaceNsswitch('wg', 'passwd: files\ngroup: files\n');
  const lines = out.split('\n');
  assert.ok(lines.includes('passwd: files'));
  assert.ok(lines.includes('group: files'));
  assert.equal(lines.filter((line) => line.startsWith('hosts')), ['hosts: files dns']);
  assert.ok(out.endsWith('\n') && !out.endsWith('\n\n'));
});

test('namespaceNsswitch without a host file: hosts: files dns and a header that says so', () => {
  const out = namespaceNsswitch('vpn0', undefined);
  const lines = out.split('\n');
  assert.ok(out.includes('vpn0'));
  assert.match(out, /no \/etc\/nsswitch\.conf/);
  assert.equal(lines.filter((line) => !line.startsWith('#') && line !== ''), ['hosts: files dns']);
  assert.ok(out.endsWith('\n') && !out.endsWith('\n\n'));
});

test('namespaceNsswitch of an empty host file still resolves', () => {
  const out = namespaceNsswitch('wg', '');
  assert.equal(out.split('\n').filter((line) => !line.startsWith('#') && line !== ''), ['hosts: files dns']);
});

test('defaultResolvConf lists the four public resolvers, IPv6 first, and nothing else', () => {
  const out = defaultResolvConf('wg');
  const lines = out.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  assert.equal(lines, ['nameserver 2606:4700:4700::1111', 'nameserver 2001:4860:4860::8888', 'nameserver 1.1.1.1', 'nameserver 8.8.8.8']);
  assert.match(out, /^#.*\bwg\b/);
  assert.ok(out.endsWith('\n'));
});

test.run();
