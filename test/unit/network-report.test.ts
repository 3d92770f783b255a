// What --status and --list say of a namespace's tunnels (src/network/report.ts):
// where the live interface differs from its file, in words, and the one-line forms.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { differences, formatTunnel, tunnelsCell, type TunnelReport } from '../../src/network/report.js';
import { parseWgQuick } from '../../src/network/wg-quick.js';
import type { TunnelFacts } from '../../src/network/wireguard.js';
import { KEYS } from '../support/wg-samples.js';

const FILE = `[Interface]
PrivateKey = ${KEYS.clientPrivate}
Address = 10.64.0.2/32, fd00:64::2/128
MTU = 1380

[Peer]
PublicKey = ${KEYS.serverPublic}
Endpoint = 192.0.2.9:51820
AllowedIPs = 0.0.0.0/0, ::/0
`;
const spec = parseWgQuick(FILE, '/etc/netns-run/wg/wg0.conf', 'wg0');

const LIVE: TunnelFacts = {
  interfaceName: 'wg0',
  up: true,
  mtu: 1380,
  addresses: ['10.64.0.2/32', 'fd00:64::2/128'],
  publicKey: KEYS.clientPublic,
  listenPort: 40000,
  fwMark: 0,
  peers: [{ publicKey: KEYS.serverPublic, hasPresharedKey: false, endpoint: '192.0.2.9:51820', allowedIPs: ['0.0.0.0/0', '::/0'], latestHandshake: 1_000, rxBytes: 0, txBytes: 0, persistentKeepalive: 0 }],
};

test('a live interface as its file says: no differences', () => {
  assert.equal(differences(spec, LIVE), []);
});

test('each difference in words, no private key', () => {
  const found = differences(spec, {
    ...LIVE,
    up: false,
    mtu: 1420,
    addresses: ['10.64.0.3/32'],
    peers: [{ ...LIVE.peers[0]!, endpoint: '192.0.2.10:51820', allowedIPs: ['10.0.0.0/8'] }, { ...LIVE.peers[0]!, publicKey: KEYS.clientPublic }],
  });
  assert.equal(found, [
    'it is down',
    'addresses 10.64.0.3/32, the file says 10.64.0.2/32 fd00:64::2/128',
    'MTU 1420, the file says 1380',
    `peer ${KEYS.serverPublic.slice(0, 8)}... allows 10.0.0.0/8, the file says 0.0.0.0/0,::/0`,
    `peer ${KEYS.serverPublic.slice(0, 8)}... at 192.0.2.10:51820, the file says 192.0.2.9:51820`,
    `peer ${KEYS.clientPublic.slice(0, 8)}... is not in the file`,
  ]);
  assert.not.match(JSON.stringify(found), new RegExp(KEYS.clientPrivate.replace(/[+/=]/g, '.')));
  assert.equal(differences(spec, { ...LIVE, peers: [] }), [`peer ${KEYS.serverPublic.slice(0, 8)}... is missing`]);
});

test('the forms --status and --list print', () => {
  const made: TunnelReport = { interfaceName: 'wg0', file: '/etc/netns-run/wg/wg0.conf', state: 'made', live: LIVE, differences: [] };
  assert.is(formatTunnel(made, 1_012_000), `wg0: up 10.64.0.2/32 fd00:64::2/128; peer ${KEYS.serverPublic.slice(0, 8)}... at 192.0.2.9:51820, handshake 12 s ago; matches /etc/netns-run/wg/wg0.conf`);
  assert.match(formatTunnel({ ...made, differences: ['MTU 1420, the file says 1380'] }), /; differs from \/etc\/netns-run\/wg\/wg0\.conf \(netns-run --ensure makes it match\): MTU 1420/);
  assert.is(formatTunnel({ interfaceName: 'wg1', file: '/etc/netns-run/wg/wg1.conf', state: 'missing' }), 'wg1: not made yet; the next run or --ensure makes it from /etc/netns-run/wg/wg1.conf');
  assert.is(tunnelsCell({ configDir: '/x', tunnels: [] }), '-');
  assert.is(tunnelsCell({ configDir: '/x', tunnels: [made, { interfaceName: 'wg1', file: '', state: 'missing' }] }), 'wg0,wg1(missing)');
  assert.is(tunnelsCell({ configDir: '/x', tunnels: [], problem: 'x' }), 'refused');
});

test.run();
