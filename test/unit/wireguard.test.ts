// The pure parts of the tunnel code: what `wg show dump` gives back (with its
// secrets dropped as it is read) and the ip commands that finish the
// interface inside the namespace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pathsFor } from '../../src/name.js';
import { parseWgQuick } from '../../src/network/wg-quick.js';
import { wireGuardPaths } from '../../src/network/files.js';
import { insideCommands, parseDump, wgArgsInside } from '../../src/network/wireguard.js';
import { KEYS, MESSY, MULLVAD } from '../support/wg-samples.js';

const DUMP = [
  [KEYS.clientPrivate, KEYS.clientPublic, '51999', '0x1f'].join('\t'),
  [KEYS.serverPublic, KEYS.preshared, '[2001:db8::1]:51820', '10.9.0.0/24,fd42::/64', '1764260000', '1234', '5678', 'off'].join('\t'),
  [KEYS.otherPublic, '(none)', '(none)', '(none)', '0', '0', '0', '25'].join('\t'),
  '',
].join('\n');

test('parseDump keeps what --status shows and drops the private and preshared keys', () => {
  const facts = parseDump(DUMP);
  assert.not.ok(JSON.stringify(facts).includes(KEYS.clientPrivate), 'private key kept');
  assert.not.ok(JSON.stringify(facts).includes(KEYS.preshared), 'preshared key kept');
  assert.is(facts.publicKey, KEYS.clientPublic);
  assert.is(facts.listenPort, 51999);
  assert.is(facts.fwMark, 0x1f);
  assert.equal(facts.peers[0], {
    publicKey: KEYS.serverPublic, hasPresharedKey: true, endpoint: '[2001:db8::1]:51820', allowedIPs: ['10.9.0.0/24', 'fd42::/64'],
    latestHandshake: 1764260000, rxBytes: 1234, txBytes: 5678, persistentKeepalive: 0,
  });
  assert.equal(facts.peers[1], {
    publicKey: KEYS.otherPublic, hasPresharedKey: false, endpoint: '(none)', allowedIPs: [], latestHandshake: 0, rxBytes: 0, txBytes: 0, persistentKeepalive: 25,
  });
  assert.is(parseDump(`${KEYS.clientPrivate}\t${KEYS.clientPublic}\t0\toff\n`).fwMark, 0);
});

test('insideCommands: rename first (a failure there means IFNAME is someone else\'s), v6 without DAD, up, then routes', () => {
  assert.is(insideCommands(parseWgQuick(MULLVAD, 'x.conf', 'wg0'), 'nrwg-0a0b0c0d'), [
    'link set dev nrwg-0a0b0c0d name wg0',
    'address add 10.64.222.21/32 dev wg0',
    'address add fc00:bbbb:bbbb:bb01::1:de14/128 dev wg0 nodad',
    'link set dev wg0 up',
    'route add 0.0.0.0/0 dev wg0',
    'route add ::/0 dev wg0',
    '',
  ].join('\n'));
  const messy = insideCommands(parseWgQuick(MESSY, 'x.conf', 'vpn1'), 'nrwg-00000000').split('\n');
  assert.is(messy[1], 'link set dev vpn1 mtu 1380');
  assert.ok(messy.includes('route add 192.168.77.0/24 dev vpn1'), messy.join('\n'));
  // Table = off: no routes at all.
  const off = insideCommands(parseWgQuick(MULLVAD.replace('DNS', 'Table = off\nDNS'), 'x.conf', 'wg0'), 'nrwg-00000000');
  assert.not.match(off, /route/);
});

test('wg runs inside the namespace with its own view of /var/run/wireguard, the command after the fixed script', () => {
  const paths = pathsFor('vpn');
  const tools = { ip: '/usr/sbin/ip', wg: '/usr/bin/wg', nsenter: '/usr/bin/nsenter', unshare: '/usr/bin/unshare', mount: '/usr/bin/mount', sh: '/bin/sh', cat: '/bin/cat' };
  const { file, args } = wgArgsInside(paths, tools, ['show', 'wg0', 'dump']);
  assert.is(file, '/usr/bin/nsenter');
  assert.equal(args.slice(0, 2), ['--net=/run/netns/vpn', '--']);
  // Names and paths are the script's arguments, never part of its text.
  assert.equal(args.slice(-8), ['sh', '/run/netns-run/vpn/wireguard', '/var/run/wireguard', '/usr/bin/mount', '/usr/bin/wg', 'show', 'wg0', 'dump']);
  assert.is(wireGuardPaths(paths).view, '/run/netns-run/vpn/wireguard');
  assert.is(wireGuardPaths(paths).sockets, '/run/netns-run/vpn/wireguard-go');
});

test.run();
