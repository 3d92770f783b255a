// [Veth], [Macvlan], [Dummy], [Route] of network.conf, read purely: what each
// key becomes, and every refusal as one FILE:LINE line. The kernel side is
// test/kernel/links.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseNetworkConf } from '../../src/network/network-conf.js';
import { LINK_KEYS, type MacvlanSpec, type VethSpec } from '../../src/network/conf/links.js';
import { readFileSync } from 'node:fs';
import { ROOT } from '../support/netns-run.js';
import { defaultPeerName, formatLink, natRuleset, readLinksRecord, routeLines } from '../../src/network/links.js';
import { oneLineRefusal } from '../support/refusal.js';

const FILE = '/etc/netns-run/lab/network.conf';
const parse = (text: string) => parseNetworkConf(text, FILE);

/** The one line parse refuses TEXT with; it must start with FILE:LINE. */
function refusal(text: string, line: number): string {
  const at = `${FILE}:${line}: `;
  return oneLineRefusal(() => parse(text), text, at).slice(at.length);
}

test('a veth to the host with everything: addresses v4 and v6, MTU, MACs, default route per family, masquerade', () => {
  const conf = parse([
    '# the lab',
    '[Veth]',
    'Name = ve0',
    'PeerName = nrl-h0',
    'Address = 10.250.0.2/24',
    'Address = fd25::2/64 nodad',
    'PeerAddress = 10.250.0.1/24',
    'PeerAddress = FD25::1/64',
    'MTU = 1400',
    'MACAddress = 02:AA:00:00:00:02',
    'PeerMACAddress = 02:aa:00:00:00:01',
    'DefaultRoute = yes',
    'Masquerade = yes',
    'Uplink = eth0',
    '',
  ].join('\n'));
  assert.is(conf.links.length, 1);
  const veth = conf.links[0] as VethSpec;
  assert.is(veth.kind, 'veth');
  assert.is(veth.name, 've0');
  assert.is(veth.peerName, 'nrl-h0');
  assert.equal(veth.addresses.map((a) => `${a.address}/${a.prefix}`), ['10.250.0.2/24', 'fd25::2/64']);
  assert.equal(veth.peerAddresses.map((a) => a.address), ['10.250.0.1', 'fd25::1']);
  assert.is(veth.mtu, 1400);
  assert.is(veth.macAddress, '02:aa:00:00:00:02');
  assert.equal(veth.gateways, [{ family: 4, address: '10.250.0.1' }, { family: 6, address: 'fd25::1' }]);
  assert.ok(veth.masquerade);
  assert.is(veth.uplink, 'eth0');
  assert.not.ok(veth.hostIPv6Forwarding);
  assert.is(veth.line, 2);
});

test('veth to another namespace, macvlan, dummy and routes', () => {
  const conf = parse([
    '[Veth]', 'Name=to-b', 'PeerNamespace=nrl-b', 'PeerName=to-a', 'Address=10.251.0.1/30', 'PeerAddress=10.251.0.2/30',
    '[Macvlan]', 'Name=mv0', 'Parent=eth0', 'Mode=private', 'Address=192.0.2.9/24', 'Gateway=192.0.2.1',
    '[Dummy]', 'Name=d0', 'Address=203.0.113.7/32',
    '[Route]', 'Destination=198.51.100.0/24', 'Gateway=10.251.0.2', 'Metric=50',
    '[Route]', 'Destination=default', 'Gateway=fe80::1', 'Device=mv0',
    '[Route]', 'Destination=198.18.0.5/16', 'Device=d0',
  ].join('\n'));
  assert.equal(conf.links.map((l) => l.kind), ['veth', 'macvlan', 'dummy']);
  assert.is((conf.links[0] as VethSpec).peerNamespace, 'nrl-b');
  const mv = conf.links[1] as MacvlanSpec;
  assert.is(mv.parent, 'eth0');
  assert.is(mv.mode, 'private');
  assert.equal(routeLines(conf.links, conf.routes), [
    'route add 0.0.0.0/0 via 192.0.2.1 dev mv0',
    'route add 198.51.100.0/24 via 10.251.0.2 metric 50',
    'route add ::/0 via fe80::1 dev mv0',
    // The host bits of a Destination are cleared, as ip route needs.
    'route add 198.18.0.0/16 dev d0',
  ]);
  assert.is(conf.routes[1]!.family, 6);
});

test('defaults: macvlan mode bridge, no masquerade, a derived host end of 15 characters that is stable', () => {
  const conf = parse('[Macvlan]\nName=mv0\nParent=eth0\n[Veth]\nName=ve0\n');
  assert.is((conf.links[0] as MacvlanSpec).mode, 'bridge');
  const veth = conf.links[1] as VethSpec;
  assert.not.ok(veth.masquerade);
  assert.is(veth.peerName, undefined);
  const derived = defaultPeerName('lab', 've0');
  assert.match(derived, /^nr[0-9a-f]{13}$/);
  assert.is(derived, defaultPeerName('lab', 've0'));
  assert.is.not(derived, defaultPeerName('lab2', 've0'));
  assert.is.not(derived, defaultPeerName('lab', 've1'));
});

test('the masquerade table: the namespace\'s networks, leaving by anything but the link itself; several lines for nft 1.0.6', () => {
  const conf = parse('[Veth]\nName=ve0\nPeerName=nrl-h0\nAddress=10.250.0.2/24\nAddress=fd25::2/64\nPeerAddress=10.250.0.1/24\nMasquerade=yes\nDefaultRoute=yes\n');
  const ruleset = natRuleset('inet netns-run-lab', [conf.links[0] as VethSpec]);
  assert.match(ruleset, /ip saddr \{ 10\.250\.0\.0\/24 \} oifname != "nrl-h0" masquerade/);
  assert.match(ruleset, /ip6 saddr \{ fd25::\/64 \} oifname != "nrl-h0" masquerade/);
  assert.match(ruleset, /flush table inet netns-run-lab/);
  assert.not.match(ruleset, /; \} \}/);
});

test('every bad value is refused with its file and line', () => {
  const cases: [string, number, RegExp][] = [
    ['[Veth]\nAddress=10.0.0.1/24\n', 1, /\[Veth\] needs Name=/],
    ['[Veth]\nName=this-name-is-too-long\n', 2, /Name must be an interface name/],
    ['[Veth]\nName=lo\n', 2, /not lo/],
    ['[Veth]\nName=a/b\n', 2, /Name must be an interface name/],
    ['[Veth]\nName=ve0\nAddress=10.0.0.300/24\n', 3, /Address must be an IPv4 or IPv6 address/],
    ['[Veth]\nName=ve0\nAddress=10.0.0.1/33\n', 3, /Address must be/],
    ['[Veth]\nName=ve0\nAddress=10.0.0.1/24 fast\n', 3, /optionally followed by nodad/],
    ['[Veth]\nName=ve0\nMTU=20\n', 3, /MTU must be a whole number from 68 to 65535/],
    ['[Veth]\nName=ve0\nMTU=1500\nMTU=1400\n', 4, /MTU is given twice/],
    ['[Veth]\nName=ve0\nMACAddress=02:00:00:00:00\n', 3, /MAC address/],
    ['[Veth]\nName=ve0\nPeerMACAddress=01:00:00:00:00:01\n', 3, /multicast/],
    ['[Veth]\nName=ve0\nDefaultRoute=maybe\n', 3, /DefaultRoute must be yes or no/],
    ['[Veth]\nName=ve0\nDefaultRoute=yes\n', 3, /give one/],
    ['[Veth]\nName=ve0\nPeerAddress=10.0.0.1/24\nGateway=10.0.0.1\nDefaultRoute=yes\n', 5, /keep one/],
    ['[Veth]\nName=ve0\nGateway=10.0.0.1\nGateway=10.0.0.2\n', 4, /a second IPv4 Gateway/],
    ['[Veth]\nName=ve0\nGateway=10.0.0.1/24\n', 3, /Gateway must be an IPv4 or IPv6 address/],
    ['[Veth]\nName=ve0\nMasquerade=yes\n', 3, /give it a PeerAddress=/],
    ['[Veth]\nName=ve0\nPeerAddress=10.0.0.1/24\nMasquerade=yes\nBridge=br0\n', 5, /Bridge= and Masquerade=yes together/],
    ['[Veth]\nName=ve0\nUplink=eth0\n', 3, /needs Masquerade=yes/],
    ['[Veth]\nName=ve0\nHostIPv6Forwarding=yes\n', 1, /needs Masquerade=yes or such a \[Forward\]/],
    ['[Veth]\nName=ve0\nPeerNamespace=other\nBridge=br0\n', 4, /Bridge is about the host's end/],
    ['[Veth]\nName=ve0\nPeerNamespace=../etc\n', 3, /PeerNamespace must be/],
    ['[Veth]\nName=ve0\nColour=blue\n', 3, /\[Veth\] has no key Colour; it knows Name, PeerName/],
    ['[Veth]\nName=ve0\nPeerName=nrl-x\n[Veth]\nName=ve0\n', 4, /a second link named ve0 \(the first is at line 1\)/],
    ['[Veth]\nName=ve0\nPeerName=nrl-x\n[Veth]\nName=ve1\nPeerName=nrl-x\n', 4, /a second PeerName=nrl-x/],
    ['[Veth]\nName=ve0\nPeerAddress=10.0.0.1/24\nDefaultRoute=yes\n[Macvlan]\nName=mv0\nParent=eth0\nGateway=192.0.2.1\n', 5, /a second IPv4 default route \(the first is the \[Veth\] at line 1\)/],
    ['[Macvlan]\nName=mv0\n', 1, /\[Macvlan\] needs Parent=/],
    ['[Macvlan]\nName=mv0\nParent=eth0\nMode=fast\n', 4, /Mode must be one of private, vepa, bridge, passthru, source/],
    ['[Dummy]\nName=d0\nGateway=10.0.0.1\n', 3, /\[Dummy\] has no key Gateway/],
    ['[Route]\nGateway=10.0.0.1\n', 1, /\[Route\] needs Destination=/],
    ['[Route]\nDestination=10.0.0.0/8\n', 1, /needs Gateway= or Device=/],
    ['[Route]\nDestination=10.0.0.0/8\nGateway=fd00::1\n', 3, /Gateway is an IPv6 address and Destination an IPv4 one/],
    ['[Route]\nDestination=somewhere\nDevice=ve0\n', 2, /Destination must be an IPv4 or IPv6 address/],
    ['[Route]\nDestination=default\nDevice=ve0\nMetric=-1\n', 4, /Metric must be a whole number/],
    ['[Bond]\nName=b0\n', 1, /\[Bond\] is no section of network.conf; it knows \[veth\], \[macvlan\], \[dummy\], \[route\]/],
  ];
  for (const [text, line, why] of cases) assert.match(refusal(text, line), why, text);
});

test('a record that names anything but what netns-run writes is not acted on', () => {
  const { mkdtempSync, writeFileSync, rmSync } = process.getBuiltinModule('node:fs');
  const dir = mkdtempSync('/tmp/nrl-record-');
  try {
    writeFileSync(`${dir}/links.json`, JSON.stringify({
      netnsId: '1:2:3',
      links: [{ kind: 'veth', name: 've0', peer: 'nrl-h0' }, { kind: 'veth', name: 've1', peer: '-rf /' }, { kind: 'macvlan', name: 'mv0', temporary: 'eth0' }],
      natTable: 'inet filter; flush ruleset',
      sysctls: [{ path: '/proc/sys/net/ipv4/conf/eth0/forwarding', before: '0', set: '1' }, { path: '/proc/sys/kernel/core_pattern', before: '|x', set: '1' }],
    }));
    const record = readLinksRecord({ networkState: dir })!;
    assert.equal(record.links, [{ kind: 'veth', name: 've0', peer: 'nrl-h0' }]);
    assert.is(record.natTable, undefined);
    assert.equal(record.sysctls.map((s) => s.path), ['/proc/sys/net/ipv4/conf/eth0/forwarding']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--status lines of links: where the other end is, and what to do when one is not there', () => {
  assert.is(formatLink({ name: 've0', kind: 'veth', peer: 'nrl-h0', state: 'made' }), 've0: veth, host end nrl-h0; made');
  assert.is(formatLink({ name: 'to-b', kind: 'veth', peer: 'to-a', peerNamespace: 'b', state: 'missing' }), 'to-b: veth, other end to-a in b; not made yet; the next run or --ensure makes it');
  assert.match(formatLink({ name: 'mv0', kind: 'macvlan', state: 'gone' }), /^mv0: macvlan; made, but gone from the namespace; netns-run --down and a run make it again$/);
});

test('netns-run.conf(5) documents every section and key of the links', () => {
  const man = readFileSync(`${ROOT}/man/netns-run.conf.5`, 'utf8');
  const part = man.slice(man.indexOf('.SS "Links:'), man.indexOf('.SS "Inside:'));
  for (const [section, keys] of Object.entries(LINK_KEYS)) {
    assert.ok(part.includes(`\\fB[${section}]\\fP`), `[${section}] is not in the man page`);
    for (const key of keys) assert.ok(part.includes(`\\fB${key}=\\fP`), `${section}'s ${key}= is not in the man page`);
  }
});

test.run();
