// [Forward] of network.conf: what it accepts, what it refuses (one line
// with FILE:LINE), and what the forward then runs. Pure, no root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { endpointText, forwardText, parseEndpoint } from '../../src/network/conf/forwards.js';
import { carrier, describeForwards, formatForward, RELAY } from '../../src/network/forwards.js';
import { parseNetworkConf } from '../../src/network/network-conf.js';
import { oneLineRefusal } from '../support/refusal.js';

const FILE = '/etc/netns-run/vpn/network.conf';
const parse = (text: string) => parseNetworkConf(text, FILE);

function refusal(text: string): string {
  return oneLineRefusal(() => parse(text), text);
}

const TRANSMISSION = `
# Transmission's web interface on the host, a proxy of the host inside
[Forward]
Direction = in
Listen = 127.0.0.1:9091
Connect = 127.0.0.1:9091

[forward]
direction = OUT
protocol = udp
listen = [::1]:53
connect = [FD00:0:0::1]:5353 # the host's resolver
`;

test('two forwards, both directions, keys and values in any case, v6 in brackets written back in ip(8) form', () => {
  const conf = parse(TRANSMISSION);
  assert.equal(conf.forwards, [
    { direction: 'in', protocol: 'tcp', listen: { family: 4, address: '127.0.0.1', port: 9091 }, connect: { family: 4, address: '127.0.0.1', port: 9091 }, line: 3 },
    { direction: 'out', protocol: 'udp', listen: { family: 6, address: '::1', port: 53 }, connect: { family: 6, address: 'fd00::1', port: 5353 }, line: 8 },
  ]);
  assert.is(forwardText(conf.forwards[1]!), 'out udp [::1]:53 -> [fd00::1]:5353');
});

test('endpoints: one spelling each, ports 1-65535', () => {
  assert.equal(parseEndpoint('0.0.0.0:1'), { family: 4, address: '0.0.0.0', port: 1 });
  assert.equal(parseEndpoint('[::]:65535'), { family: 6, address: '::', port: 65535 });
  for (const bad of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:080', '::1:80', '[127.0.0.1]:80', 'localhost:80', '[::1]', '1.2.3:80', '[::1]:80x', ' 127.0.0.1:80']) {
    assert.is(parseEndpoint(bad), undefined, bad);
  }
  assert.is(endpointText(parseEndpoint('[fe80:0::1]:9')!), '[fe80::1]:9');
});

test('refused with the line: missing keys, bad values, unknown keys, a key twice, a listener taken twice', () => {
  const cases: [string, RegExp][] = [
    ['[Forward]\nListen = 127.0.0.1:1\nConnect = 127.0.0.1:1\n', /network\.conf:1: \[Forward\] needs Direction=/],
    ['[Forward]\nDirection = in\nConnect = 127.0.0.1:1\n', /:1: \[Forward\] needs Listen=/],
    ['[Forward]\nDirection = in\nListen = 127.0.0.1:1\n', /:1: \[Forward\] needs Connect=/],
    ['[Forward]\nDirection = sideways\nListen = 127.0.0.1:1\nConnect = 127.0.0.1:1\n', /:2: Direction must be one of in, out/],
    ['[Forward]\nDirection = in\nProtocol = sctp\nListen = 127.0.0.1:1\nConnect = 127.0.0.1:1\n', /:3: Protocol must be one of tcp, udp/],
    ['[Forward]\nDirection = in\nListen = localhost:9091\nConnect = 127.0.0.1:1\n', /:3: Listen must be ADDRESS:PORT/],
    ['[Forward]\nDirection = in\nListen = 127.0.0.1:1\nConnect = [::1]:0\n', /:4: Connect must be ADDRESS:PORT/],
    ['[Forward]\nDirection = in\nListen = 127.0.0.1:1\nConnect = 127.0.0.1:1\nPort = 3\n', /:5: \[Forward\] has no key Port; it knows Direction, Protocol, Listen, Connect/],
    ['[Forward]\nDirection = in\nDirection = out\nListen = 127.0.0.1:1\nConnect = 127.0.0.1:1\n', /:3: Direction is given twice/],
    ['[Forward]\nDirection = in\nListen = 127.0.0.1:1\nConnect = 127.0.0.1:1\n[Forward]\nDirection = in\nListen = 0.0.0.0:1\nConnect = 127.0.0.1:2\n', /:7: tcp 0\.0\.0\.0:1 on the host is already listened on by the \[Forward\] of line 1/],
    ['[Forward]\nDirection = out\nListen = [::1]:1\nConnect = 127.0.0.1:1\n[Forward]\nDirection = out\nListen = [::1]:1\nConnect = 127.0.0.1:2\n', /:7: tcp \[::1\]:1 inside is already listened on/],
  ];
  for (const [text, expected] of cases) assert.match(refusal(text), expected, text);
});

test('the same port on both sides, or by TCP and UDP, or by v4 and v6, is no clash', () => {
  const conf = parse([
    '[Forward]\nDirection = in\nListen = 127.0.0.1:80\nConnect = 127.0.0.1:80',
    '[Forward]\nDirection = out\nListen = 127.0.0.1:80\nConnect = 127.0.0.1:8080',
    '[Forward]\nDirection = in\nProtocol = udp\nListen = 127.0.0.1:80\nConnect = 127.0.0.1:80',
    '[Forward]\nDirection = in\nListen = [::]:80\nConnect = 127.0.0.1:80',
  ].join('\n'));
  assert.is(conf.forwards.length, 4);
});

test('TCP through systemd-socket-proxyd (v6 unbracketed, as it splits at the last colon), UDP and TCP without it through the relay', () => {
  const tcp = parse(TRANSMISSION).forwards[0]!;
  const udp = parse(TRANSMISSION).forwards[1]!;
  assert.equal(carrier(tcp, '/usr/lib/systemd/systemd-socket-proxyd', '/usr/bin/node'), ['/usr/lib/systemd/systemd-socket-proxyd', '127.0.0.1:9091']);
  assert.equal(carrier({ ...tcp, connect: { family: 6, address: 'fd00::1', port: 80 } }, '/p', '/n'), ['/p', 'fd00::1:80']);
  assert.equal(carrier(udp, '/p', '/usr/bin/node'), ['/usr/bin/node', '-e', RELAY, 'udp', '6', 'fd00::1', '5353']);
  assert.equal(carrier(tcp, undefined, '/usr/bin/node'), ['/usr/bin/node', '-e', RELAY, 'tcp', '4', '127.0.0.1', '9091']);
});

test('--status: a declared forward not made is missing, not running', () => {
  const [forward] = describeForwards({ networkState: '/nonexistent/nrf' }, parse(TRANSMISSION));
  assert.equal(forward, { forward: 'in tcp 127.0.0.1:9091 -> 127.0.0.1:9091', direction: 'in', protocol: 'tcp', listen: '127.0.0.1:9091', connect: '127.0.0.1:9091', route: 'proxy', state: 'missing', running: false });
  assert.match(formatForward(forward!), /not started; the next run or --ensure starts it/);
});

test.run();
