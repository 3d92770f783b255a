// Which mechanism carries a [Forward] (forward-route.ts), the DNAT rules of
// NAME's table, and the forward records a restart trusts. Pure, no root.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dnatRules, forwardRoute } from '../../src/network/forward-route.js';
import { readForwardRecords } from '../../src/network/forward-records.js';
import { describeForwards, formatForward } from '../../src/network/forwards.js';
import { dnatForwardsOf, natRuleset } from '../../src/network/links.js';
import { parseNetworkConf } from '../../src/network/network-conf.js';

const FILE = '/etc/netns-run/lab/network.conf';
const VETH = `[Veth]
Name = ve0
PeerName = nrf-h0
Address = 10.250.0.2/30
Address = fd25::2/64
PeerAddress = 10.250.0.1/30
PeerAddress = fd25::1/64
`;
const forward = (direction: string, listen: string, connect: string, protocol = 'tcp') =>
  `[Forward]\nDirection = ${direction}\nProtocol = ${protocol}\nListen = ${listen}\nConnect = ${connect}\n`;
const routeOf = (text: string) => {
  const conf = parseNetworkConf(text, FILE);
  return forwardRoute(conf.forwards[0]!, conf.links);
};

test('DNAT over a veth to the host: in, to an Address= of the veth whose PeerAddress= is on its network; v4 and v6', () => {
  for (const [listen, connect] of [['192.0.2.1:8080', '10.250.0.2:9091'], ['[2001:db8::1]:8080', '[fd25::2]:9091']]) {
    const route = routeOf(VETH + forward('in', listen!, connect!));
    assert.is(route.kind, 'dnat', `${listen} -> ${connect}`);
    assert.is(route.kind === 'dnat' && route.link.name, 've0');
  }
});

test('HostIPv6Forwarding=yes without Masquerade=yes: taken for an IPv6 forward DNAT carries over that veth, refused for one of IPv4', () => {
  const veth = VETH + 'HostIPv6Forwarding = yes\n';
  assert.is(parseNetworkConf(veth + forward('in', '[2001:db8::1]:8080', '[fd25::2]:9091'), FILE).links[0]!.kind, 'veth');
  assert.throws(() => parseNetworkConf(veth + forward('in', '192.0.2.1:8080', '10.250.0.2:9091'), FILE), /network\.conf:1: HostIPv6Forwarding=yes of \[Veth\] ve0 .* needs Masquerade=yes or such a \[Forward\]/);
});

test('the proxy everywhere else, each with its reason', () => {
  const cases: [string, RegExp][] = [
    [forward('in', '192.0.2.1:8080', '10.250.0.2:9091'), /no Address= of a \[Veth\]/], // tunnel-only: no veth
    [VETH + forward('in', '192.0.2.1:8080', '127.0.0.1:9091'), /no Address= of a \[Veth\]/], // lo inside
    [VETH + forward('in', '192.0.2.1:8080', '10.250.0.3:9091'), /no Address= of a \[Veth\]/], // not the veth's address
    [VETH + forward('in', '127.0.0.1:8080', '10.250.0.2:9091'), /route_localnet/],
    [VETH + forward('in', '127.0.0.2:8080', '10.250.0.2:9091'), /route_localnet/],
    [VETH + forward('in', '[::1]:8080', '[fd25::2]:9091'), /route_localnet/],
    [VETH + forward('in', '0.0.0.0:8080', '10.250.0.2:9091'), /wildcard/],
    [VETH + forward('in', '[::]:8080', '[fd25::2]:9091'), /wildcard/],
    [VETH + forward('out', '10.250.0.2:3128', '10.250.0.1:3128'), /forward out/],
    [VETH.replace('PeerAddress = 10.250.0.1/30\n', 'PeerAddress = 10.9.0.1/30\n') + forward('in', '192.0.2.1:8080', '10.250.0.2:9091'), /PeerAddress= is on its network/],
    [VETH + 'PeerNamespace = other\n' + forward('in', '192.0.2.1:8080', '10.250.0.2:9091'), /no Address= of a \[Veth\] to the host/],
  ];
  for (const [text, why] of cases) {
    const route = routeOf(text);
    assert.is(route.kind, 'proxy', text);
    assert.match(route.kind === 'proxy' ? route.why : '', why, text);
  }
});

test('the table: dnat in prerouting and output (the host\'s own clients), their local sources masqueraded onto the host end; TCP and UDP, v4 and v6', () => {
  const conf = parseNetworkConf(VETH + forward('in', '192.0.2.1:8080', '10.250.0.2:9091') + forward('in', '[2001:db8::1]:53', '[fd25::2]:5353', 'udp') + forward('in', '127.0.0.1:1', '10.250.0.2:1'), FILE);
  const dnat = dnatForwardsOf(conf, 'lab');
  assert.equal(dnat.map((f) => [f.spec.line, f.peer]), [[8, 'nrf-h0'], [13, 'nrf-h0']]);
  const rules = dnatRules(dnat);
  assert.equal(rules.dnat, ['    ip daddr 192.0.2.1 tcp dport 8080 dnat ip to 10.250.0.2:9091', '    ip6 daddr 2001:db8::1 udp dport 53 dnat ip6 to [fd25::2]:5353']);
  assert.equal(rules.postrouting, ['    oifname "nrf-h0" ct status dnat fib saddr type local masquerade']);
  const ruleset = natRuleset('inet netns-run-lab', [], dnat);
  for (const chain of ['prerouting', 'output', 'postrouting']) assert.match(ruleset, new RegExp(`chain ${chain} \\{\\n    type nat hook ${chain}`), chain);
  assert.match(ruleset, /hook output priority -100;/);
  assert.is(ruleset.split('dnat ip to 10.250.0.2:9091').length, 3, 'the rule in prerouting and output');
  assert.not.match(ruleset, /; \} \}/);
  // Without DNAT forwards, no dnat chains: the masquerade table stays as it was.
  assert.not.match(natRuleset('inet netns-run-lab', [], []), /chain/);
});

test('--status: a DNAT forward says so; a dead proxy says it is dead and what brings it back', () => {
  const conf = parseNetworkConf(VETH + forward('in', '192.0.2.1:8080', '10.250.0.2:9091'), FILE);
  const [declared] = describeForwards({ networkState: '/nonexistent/nrf' }, conf);
  assert.is(declared!.route, 'dnat');
  const dir = mkdtempSync(`${tmpdir()}/nrf-records-`);
  try {
    mkdirSync(`${dir}/forwards`);
    const base = { direction: 'in', protocol: 'tcp', listen: { family: 4, address: '127.0.0.1', port: 9091 }, connect: { family: 4, address: '127.0.0.1', port: 9091 }, line: 1, tag: 'a'.repeat(16) };
    writeFileSync(`${dir}/forwards/0.json`, JSON.stringify({ ...base, program: '/usr/bin/node', pid: 2 ** 22 + 1, startTime: '1' }));
    writeFileSync(`${dir}/forwards/1.json`, JSON.stringify({ ...base, listen: { family: 4, address: '192.0.2.1', port: 8080 }, route: 'dnat' }));
    const [dead, dnat] = describeForwards({ networkState: dir }, { forwards: [], links: [] });
    assert.equal([dead!.state, dead!.running, dead!.route], ['dead', false, 'proxy']);
    assert.match(formatForward(dead!), /: dead \(node, pid 4194305 is gone\); the next run or --ensure starts it again$/);
    assert.equal([dnat!.state, dnat!.running, dnat!.route], ['made', true, 'dnat']);
    assert.match(formatForward(dnat!), /DNAT over the veth/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a restart trusts only records of the shape netns-run writes: their endpoints become arguments of perl and the proxy', () => {
  const dir = mkdtempSync(`${tmpdir()}/nrf-records-`);
  try {
    mkdirSync(`${dir}/forwards`);
    const good = { direction: 'in', protocol: 'tcp', listen: { family: 4, address: '127.0.0.1', port: 9091 }, connect: { family: 6, address: '::1', port: 9091 }, line: 1, tag: 'a'.repeat(16) };
    const bad = [
      { ...good, connect: { family: 4, address: '127.0.0.1 --evil', port: 1 } },
      { ...good, listen: { family: 4, address: '--help', port: 1 } },
      { ...good, connect: { family: 4, address: '::1', port: 1 } },
      { ...good, listen: { family: 4, address: '127.0.0.1', port: 70000 } },
      { ...good, protocol: 'sctp' },
      { ...good, direction: 'sideways' },
      { ...good, route: 'teleport' },
      { ...good, tag: 'x' },
    ];
    writeFileSync(`${dir}/forwards/0.json`, JSON.stringify(good));
    bad.forEach((record, index) => writeFileSync(`${dir}/forwards/${index + 1}.json`, JSON.stringify(record)));
    assert.equal(readForwardRecords({ networkState: dir }).map((r) => r.name), ['0']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
