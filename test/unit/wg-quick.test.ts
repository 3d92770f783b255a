import { inspect } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cidrText, network, parseCidr } from '../../src/network/address.js';
import { Secret } from '../../src/network/secret.js';
import { isInterfaceName } from '../../src/network/files.js';
import { parseWgQuick, renderResolvConf, renderSetconf, routes } from '../../src/network/wg-quick.js';
import { IVPN, KEYS, MESSY, MULLVAD, PROTON } from '../support/wg-samples.js';
import { oneLineRefusal } from '../support/refusal.js';

const FILE = '/etc/netns-run/wg/wg0.conf';
const parse = (text: string) => parseWgQuick(text, FILE, 'wg0');

/** The error parse raises: a NetnsRunError whose one line starts with FILE:LINE. */
function refusal(text: string, line: number): string {
  return oneLineRefusal(() => parse(text), text, `${FILE}:${line}: `);
}

const HEAD = `[Interface]\nPrivateKey = ${KEYS.clientPrivate}\n`;
const PEER = `[Peer]\nPublicKey = ${KEYS.serverPublic}\n`;

test('Mullvad: comma lists without spaces, v4 and v6, DNS server, default routes', () => {
  const spec = parse(MULLVAD);
  assert.is(spec.privateKey.reveal(), KEYS.clientPrivate);
  assert.equal(spec.addresses.map(cidrText), ['10.64.222.21/32', 'fc00:bbbb:bbbb:bb01::1:de14/128']);
  assert.equal(spec.dns, { servers: ['10.64.0.1'], search: [] });
  assert.is(spec.table, 'auto');
  assert.is(spec.peers.length, 1);
  assert.equal(spec.peers[0]!.endpoint, { host: '185.213.154.68', family: 4, port: 51820 });
  assert.equal(routes(spec).map(cidrText), ['0.0.0.0/0', '::/0']);
  assert.is(spec.listenPort, undefined);
  assert.is(spec.mtu, undefined);
});

test('Proton: comments full of KEY = VALUE are comments, also a # inside one', () => {
  const spec = parse(PROTON);
  assert.equal(spec.addresses.map(cidrText), ['10.2.0.2/32']);
  assert.equal(spec.peers[0]!.allowedIPs.map(cidrText), ['0.0.0.0/0']);
});

test('IVPN: a host name endpoint, keepalive, /96', () => {
  const spec = parse(IVPN);
  assert.equal(spec.peers[0]!.endpoint, { host: 'localhost', family: 'name', port: 2049 });
  assert.is(spec.peers[0]!.persistentKeepalive, 25);
  assert.equal(spec.addresses.map(cidrText), ['172.18.1.2/32', 'fd00:4956:504e:ffff::ac12:102/96']);
});

test('a hand-edited file: any case, tabs, CRLF, repeated keys, search domains, two peers, a v6 endpoint', () => {
  const spec = parse(MESSY);
  assert.equal(spec.addresses.map(cidrText), ['10.9.0.2/24', 'fd42::2/64', '10.9.1.2/32']);
  assert.equal(spec.dns, { servers: ['10.9.0.1', 'fd42::1', '10.9.0.53'], search: ['corp.example', 'lab.example'] });
  assert.is(spec.mtu, 1380);
  assert.is(spec.listenPort, 51999);
  assert.is(spec.fwMark, 0x1f);
  assert.is(spec.peers.length, 2);
  assert.equal(spec.peers[0]!.endpoint, { host: '2001:db8::1', family: 6, port: 51820 });
  assert.is(spec.peers[0]!.presharedKey?.reveal(), KEYS.preshared);
  assert.equal(spec.peers[0]!.allowedIPs.map(cidrText), ['10.9.0.0/24', 'fd42::/64']);
  assert.is(spec.peers[0]!.persistentKeepalive, 0);
  // Host bits cleared for routes, and a network two peers name is routed once.
  assert.equal(routes(spec).map(cidrText), ['10.9.0.0/24', 'fd42::/64', '192.168.77.0/24']);
});

test('renderSetconf: only the keys wg(8) takes, with the keys', () => {
  const text = renderSetconf(parse(MESSY));
  assert.is(
    text,
    [
      '[Interface]',
      `PrivateKey = ${KEYS.clientPrivate}`,
      'ListenPort = 51999',
      'FwMark = 0x1f',
      '',
      '[Peer]',
      `PublicKey = ${KEYS.serverPublic}`,
      `PresharedKey = ${KEYS.preshared}`,
      'Endpoint = [2001:db8::1]:51820',
      'AllowedIPs = 10.9.0.0/24, fd42::/64',
      '',
      '[Peer]',
      `PublicKey = ${KEYS.otherPublic}`,
      'Endpoint = 192.0.2.7:4500',
      'AllowedIPs = 192.168.77.9/24, 10.9.0.0/24',
      '',
    ].join('\n'),
  );
  for (const sample of [MULLVAD, PROTON, IVPN, MESSY]) {
    assert.not.match(renderSetconf(parse(sample)), /^(Address|DNS|MTU|Table|SaveConfig|PreUp|PreDown|PostUp|PostDown) =/im);
  }
});

test('the spec shows no secret when printed, logged or turned into JSON', () => {
  const spec = parse(MESSY);
  for (const shown of [JSON.stringify(spec), inspect(spec, { depth: 10 }), String(spec.privateKey), `${spec.peers[0]!.presharedKey}`]) {
    assert.not.ok(shown.includes(KEYS.clientPrivate), `private key shown: ${shown}`);
    assert.not.ok(shown.includes(KEYS.preshared), `preshared key shown: ${shown}`);
  }
  assert.ok(JSON.stringify(spec).includes(KEYS.serverPublic), 'public keys are no secret');
  assert.is(new Secret('x').reveal(), 'x');
});

test('hooks are refused: shell as root from a configuration file', () => {
  for (const hook of ['PreUp', 'PostUp', 'PreDown', 'postdown']) {
    const message = refusal(`${HEAD}${hook} = iptables -F\n`, 3);
    assert.match(message, new RegExp(`${hook}: netns-run runs no shell commands`));
    assert.not.match(message, /iptables/);
  }
});

test('SaveConfig = true is refused, false is fine, anything else is wrong', () => {
  assert.match(refusal(`${HEAD}SaveConfig = true\n`, 3), /never writes back/);
  assert.is(parse(`${HEAD}SaveConfig = False\n`).table, 'auto');
  assert.match(refusal(`${HEAD}SaveConfig = yes\n`, 3), /true or false/);
});

test('Table: off means no routes, auto and main the main table, a numbered table is refused', () => {
  assert.equal(routes(parse(`${HEAD}Table = off\n${PEER}AllowedIPs = 0.0.0.0/0\n`)), []);
  assert.is(parse(`${HEAD}Table = main\n`).table, 'auto');
  assert.is(parse(`${HEAD}Table = AUTO\n`).table, 'auto');
  assert.match(refusal(`${HEAD}Table = 1234\n`, 3), /main table .* or none/);
});

test('a malformed key never appears in the error, wherever it was written', () => {
  const broken = KEYS.clientPrivate.slice(0, 40) + '!!!=';
  const cases: [string, number][] = [
    [`[Interface]\nPrivateKey = ${broken}\n`, 2],
    [`[Interface]\nPrivateKey = ${KEYS.clientPrivate}x\n`, 2],
    [`${HEAD}${PEER}PresharedKey = ${broken}\n`, 5],
    // Pasted into the wrong key, or without its '='.
    [`${HEAD}Address = ${KEYS.otherPrivate}\n`, 3],
    [`${HEAD}DNS = ${KEYS.otherPrivate}\n`, 3],
    [`${HEAD}${KEYS.otherPrivate.slice(0, -1)}\n`, 3],
    [`${HEAD}PrivateKey ${KEYS.otherPrivate}\n`, 3],
    [`${HEAD}${PEER}Endpoint = ${KEYS.otherPrivate}\n`, 5],
    [`${HEAD}${PEER}AllowedIPs = ${KEYS.otherPrivate}\n`, 5],
    [`${HEAD}${PEER}Frobnicate = ${KEYS.otherPrivate}\n`, 5],
    [`${HEAD}[${KEYS.otherPrivate}]\n`, 3],
  ];
  for (const [text, line] of cases) {
    const message = refusal(text, line);
    for (const secret of [broken, KEYS.clientPrivate, KEYS.otherPrivate, KEYS.otherPrivate.slice(0, -1), KEYS.otherPrivate.slice(0, 20)]) {
      assert.not.ok(message.includes(secret), `the error shows a key: ${message}`);
    }
  }
});

test('keys: 44 characters of base64 of exactly 32 bytes', () => {
  refusal(`[Interface]\nPrivateKey = ${KEYS.clientPrivate.slice(0, -1)}\n`, 2); // no padding
  refusal(`[Interface]\nPrivateKey = ${KEYS.clientPrivate.slice(0, 42)}B=\n`, 2); // spare bits set
  refusal(`${HEAD}${'[Peer]\nPublicKey = abc\n'}`, 4);
  assert.match(refusal(`[Interface]\nPrivateKey = ${'A'.repeat(43)}\n`, 2), /^[^A]*PrivateKey is not a WireGuard key[^A]*$/);
});

test('addresses, networks and ports are checked', () => {
  for (const bad of ['10.0.0.256/32', '10.0.0.1/33', 'fd00::1/129', '10.0.0.01', 'fd00:::1', '1.2.3', '10.0.0.1/-1', 'fe80::1%eth0']) {
    assert.match(refusal(`${HEAD}Address = ${bad}\n`, 3), /Address has an entry/);
    assert.not.ok(refusal(`${HEAD}Address = ${bad}\n`, 3).includes(bad), 'the value is not shown');
  }
  for (const bad of ['1.2.3.4', '1.2.3.4:0', '1.2.3.4:65536', 'fd00::1:51820', '[fd00::1]51820', '[10.0.0.1]:1', 'bad_host!:1', '999.1.1.1:1']) {
    assert.match(refusal(`${HEAD}${PEER}Endpoint = ${bad}\n`, 5), /Endpoint must be/);
  }
  assert.match(refusal(`${HEAD}ListenPort = 65536\n`, 3), /ListenPort/);
  assert.match(refusal(`${HEAD}MTU = 100\n`, 3), /MTU/);
  assert.match(refusal(`${HEAD}FwMark = 0x123456789\n`, 3), /FwMark/);
  assert.match(refusal(`${HEAD}${PEER}PersistentKeepalive = -1\n`, 5), /PersistentKeepalive/);
  assert.match(refusal(`${HEAD}DNS = 10.0.0.300\n`, 3), /DNS/);
  assert.match(refusal(`${HEAD}DNS = bad..domain\n`, 3), /DNS/);
  assert.is(parse(`${HEAD}ListenPort = 0\nFwMark = off\n`).fwMark, 0);
});

test('structure: sections, keys where they belong, once each', () => {
  assert.match(refusal(`PrivateKey = ${KEYS.clientPrivate}\n`, 1), /before any \[Interface\]/);
  assert.match(refusal(`${HEAD}[Interface]\n`, 3), /second \[Interface\]/);
  assert.match(refusal(`${HEAD}[Wireguard]\n`, 3), /\[Wireguard\] is not a section/);
  assert.match(refusal(`${HEAD}Endpoint = 1.2.3.4:5\n`, 3), /Endpoint is not a key of \[Interface\]/);
  assert.match(refusal(`${HEAD}${PEER}Address = 10.0.0.1\n`, 5), /Address is not a key of \[Peer\]/);
  assert.match(refusal(`${HEAD}PrivateKey = ${KEYS.otherPrivate}\n`, 3), /PrivateKey is given twice/);
  assert.match(refusal(`${HEAD}${PEER}Endpoint = 1.2.3.4:5\nendpoint = 1.2.3.4:6\n`, 6), /given twice/);
  assert.match(refusal(`${HEAD}MTU =\n`, 3), /MTU has no value/);
  assert.match(refusal(`[Interface]\nAddress = 10.0.0.1\n`, 3), /no PrivateKey/);
  assert.match(refusal(`# nothing\n`, 2), /no \[Interface\]/);
  assert.match(refusal(`${HEAD}[Peer]\nAllowedIPs = 0.0.0.0/0\n`, 3), /has no PublicKey/);
  assert.match(refusal(`${HEAD}${PEER}${PEER}`, 5), /same PublicKey as the one at line 3/);
  assert.match(refusal(`${HEAD}just words\n`, 3), /neither a \[Section\] nor KEY = VALUE/);
});

test('a file with no peers and no addresses is a valid (if quiet) interface', () => {
  const spec = parse(HEAD);
  assert.equal(spec.peers, []);
  assert.equal(routes(spec), []);
  assert.is(renderSetconf(spec), `[Interface]\nPrivateKey = ${KEYS.clientPrivate}\n`);
});

test('interface names: what wg-quick allows, 15 characters at most, no leading dash', () => {
  for (const good of ['wg0', 'mullvad-se1', 'a.b', 'x'.repeat(15), 'a=b+c_d']) assert.ok(isInterfaceName(good), good);
  for (const bad of ['', 'x'.repeat(16), '-wg', '.', '..', 'wg/0', 'wg 0', 'wg:0', 'wg\n']) assert.not.ok(isInterfaceName(bad), JSON.stringify(bad));
  assert.throws(() => parseWgQuick(HEAD, '/x/../.conf', '..'), /file name is no interface name/);
});

test('parseCidr and network: canonical text, host bits cleared', () => {
  assert.is(cidrText(parseCidr('FD00:0:0:0:0:0:0:1/64')!), 'fd00::1/64');
  assert.is(cidrText(parseCidr('2001:db8:0:0:1:0:0:1')!), '2001:db8::1:0:0:1/128');
  assert.is(cidrText(parseCidr('::ffff:192.0.2.1/128')!), '::ffff:c000:201/128');
  assert.is(cidrText(parseCidr('1:2:3:4:5:6:7:8')!), '1:2:3:4:5:6:7:8/128');
  assert.is(cidrText(network(parseCidr('10.1.2.3/9')!)), '10.0.0.0/9');
  assert.is(cidrText(network(parseCidr('fd42::abcd/120')!)), 'fd42::ab00/120');
  assert.is(cidrText(network(parseCidr('0.0.0.0/0')!)), '0.0.0.0/0');
  for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', ':', '1.2.3.4.5', '']) assert.is(parseCidr(bad), undefined, bad);
});

test('renderResolvConf: servers and search domains; none when the file names no server', () => {
  const spec = parse(MESSY);
  assert.is(renderResolvConf(spec.dns, FILE), `# Made by netns-run from DNS = in ${FILE}\nnameserver 10.9.0.1\nnameserver fd42::1\nnameserver 10.9.0.53\nsearch corp.example lab.example\n`);
  assert.is(renderResolvConf({ servers: [], search: ['a.example'] }, FILE), undefined);
});

test.run();
