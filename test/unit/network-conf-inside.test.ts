// [Sysctl], [Nftables], [Hook], [Nscd] of network.conf: what the parsers
// accept, and the one FILE:LINE line for everything they refuse.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_NSCD } from '../../src/network/conf/inside.js';
import { hookOrder } from '../../src/network/hooks.js';
import { parseNetworkConf } from '../../src/network/network-conf.js';
import { formatInside } from '../../src/network/inside-report.js';
import { oneLineRefusal } from '../support/refusal.js';

const FILE = '/etc/netns-run/x/network.conf';

function parse(text: string) {
  return parseNetworkConf(text, FILE);
}

/** The message of the error TEXT is refused with; fails if it is accepted. */
function refused(text: string): string {
  return oneLineRefusal(() => parse(text), text);
}

test('[Sysctl]: any net.* key, repeatable sections, values kept as written (blanks squeezed)', () => {
  const conf = parse('[Sysctl]\nnet.ipv4.ip_forward = 1\nnet.ipv4.ping_group_range = 0   2147483647\n# comment\n[Sysctl]\nnet.ipv6.conf.all.disable_ipv6=1\n');
  assert.equal(conf.sysctl.map(({ key, value, line }) => `${line} ${key}=${value}`), ['2 net.ipv4.ip_forward=1', '3 net.ipv4.ping_group_range=0 2147483647', '6 net.ipv6.conf.all.disable_ipv6=1']);
});

test('[Sysctl]: keys outside the network namespace, slashes, dot-dot, upper case and bad values are refused with FILE:LINE', () => {
  assert.match(refused('[Sysctl]\nkernel.hostname = evil\n'), `${FILE}:2: kernel.hostname is not a setting of the network namespace`);
  assert.match(refused('[Sysctl]\nvm.swappiness = 1\n'), `${FILE}:2: `);
  assert.match(refused('[Sysctl]\nnet/ipv4/ip_forward = 1\n'), `${FILE}:2: net/ipv4/ip_forward is no sysctl key`);
  assert.match(refused('[Sysctl]\nnet.ipv4..ip_forward = 1\n'), `${FILE}:2: `);
  assert.match(refused('[Sysctl]\nnet.ipv4.conf.ETH0.forwarding = 1\n'), `${FILE}:2: `);
  assert.match(refused('[Sysctl]\nnet.ipv4.ip_forward = 1\nnet.ipv4.ip_forward =\n'), `${FILE}:3: `);
  assert.match(refused(`[Sysctl]\nnet.core.somaxconn = ${'1'.repeat(300)}\n`), `${FILE}:2: net.core.somaxconn needs a value`);
  assert.match(refused('[Sysctl]\nnet.core.somaxconn = a\u0001b\n'), `${FILE}:2: `);
});

test('[Nftables]: one File= of a plain name beside network.conf, never a WireGuard file', () => {
  assert.equal(parse('[Nftables]\nFile = killswitch.nft\n').nftables, { file: 'killswitch.nft', line: 2 });
  for (const bad of ['../x.nft', '/etc/x.nft', 'sub/x.nft', '.hidden', 'wg0.conf', 'network.conf', '-x']) {
    assert.match(refused(`[Nftables]\nFile = ${bad}\n`), `${FILE}:2: File= must be a plain file name`, bad);
  }
  assert.match(refused('[Nftables]\n'), `${FILE}:1: [Nftables] needs File=`);
  assert.match(refused('[Nftables]\nFile = a.nft\n[Nftables]\nFile = b.nft\n'), `${FILE}:3: [Nftables] is given twice (first on line 2)`);
  assert.match(refused('[Nftables]\nFile = a.nft\nFile = b.nft\n'), `${FILE}:3: File is given twice`);
  assert.match(refused('[Nftables]\nPath = a.nft\n'), `${FILE}:2: [Nftables] has no key Path; it knows File`);
});

test('[Hook]: When, Where (default host), Exec split at blanks without a shell, Timeout (default 30 s)', () => {
  const conf = parse('[Hook]\nWhen = up\nExec = /usr/local/sbin/up  a "b c"\n[Hook]\nwhen=DOWN\nwhere=inside\nexec=/usr/local/sbin/down\ntimeout=5\n');
  assert.equal(conf.hooks, [
    { when: 'up', where: 'host', argv: ['/usr/local/sbin/up', 'a', '"b', 'c"'], timeoutSeconds: 30, line: 1 },
    { when: 'down', where: 'inside', argv: ['/usr/local/sbin/down'], timeoutSeconds: 5, line: 4 },
  ]);
});

test('[Hook]: relative programs, dot segments, missing keys and bad choices are refused with FILE:LINE', () => {
  assert.match(refused('[Hook]\nWhen = up\nExec = vpn-up\n'), `${FILE}:3: Exec= must start with the absolute path`);
  assert.match(refused('[Hook]\nWhen = up\nExec = /usr/../tmp/x\n'), `${FILE}:3: Exec= must start with the absolute path`);
  assert.match(refused('[Hook]\nWhen = up\nExec = /usr//bin/x\n'), `${FILE}:3: `);
  assert.match(refused('[Hook]\nWhen = up\n'), `${FILE}:1: [Hook] needs When= (up or down) and Exec=`);
  assert.match(refused('[Hook]\nWhen = sideways\nExec = /bin/true\n'), `${FILE}:2: When must be one of up, down`);
  assert.match(refused('[Hook]\nWhen = up\nWhere = there\nExec = /bin/true\n'), `${FILE}:3: Where must be one of host, inside`);
  assert.match(refused('[Hook]\nWhen = up\nExec = /bin/true\nTimeout = 0\n'), `${FILE}:4: Timeout must be a whole number from 1 to 3600`);
  assert.match(refused(`[Hook]\nWhen = up\nExec = /bin/true ${'a '.repeat(70)}\n`), `${FILE}:3: Exec= has more than 64 words`);
});

test('hooks run up: host then inside; down: inside then host; each in file order', () => {
  const conf = parse([
    '[Hook]', 'When=up', 'Where=inside', 'Exec=/a',
    '[Hook]', 'When=down', 'Exec=/b',
    '[Hook]', 'When=up', 'Exec=/c',
    '[Hook]', 'When=down', 'Where=inside', 'Exec=/d',
    '[Hook]', 'When=up', 'Exec=/e',
  ].join('\n'));
  assert.equal(hookOrder(conf.hooks, 'up').map((hook) => hook.argv[0]), ['/c', '/e', '/a']);
  assert.equal(hookOrder(conf.hooks, 'down').map((hook) => hook.argv[0]), ['/d', '/b']);
});

test('[Nscd]: Debian\'s nscd by default, another by Program=, none with Enable=no', () => {
  assert.equal(parse('[Nscd]\n').nscd, { program: DEFAULT_NSCD, line: 1 });
  assert.equal(parse('[Nscd]\nEnable = yes\nProgram = /usr/local/sbin/nscd\n').nscd, { program: '/usr/local/sbin/nscd', line: 1 });
  assert.is(parse('[Nscd]\nEnable = no\n').nscd, undefined);
  assert.match(refused('[Nscd]\nEnable = maybe\n'), `${FILE}:2: Enable must be yes or no`);
  assert.match(refused('[Nscd]\nProgram = nscd\n'), `${FILE}:2: Program= must start with the absolute path`);
  assert.match(refused('[Nscd]\nProgram = /usr/sbin/nscd -d\n'), `${FILE}:2: Program= is the path of the nscd program alone`);
  assert.match(refused('[Nscd]\n[Nscd]\n'), `${FILE}:2: [Nscd] is given twice`);
});

test('--status rows: settings set and ignored, the ruleset and its tables, nscd, the down hooks', () => {
  assert.equal(formatInside({
    sysctl: [{ key: 'net.ipv4.ip_forward', value: '1', state: 'set' }, { key: 'net.core.rmem_max', value: '1', state: 'ignored' }],
    ruleset: '/etc/netns-run/x/ks.nft',
    tables: ['inet ks'],
    nscd: { program: '/usr/sbin/nscd', pid: 42, running: false },
    downHooks: ['inside /usr/local/sbin/down'],
  }), [
    ['sysctl', 'net.ipv4.ip_forward=1; ignored (not in a namespace): net.core.rmem_max'],
    ['nftables', '/etc/netns-run/x/ks.nft loaded: table inet ks'],
    ['nscd', '/usr/sbin/nscd is not running (PID 42 ended); the next run or --ensure starts it again'],
    ['down hooks', 'inside /usr/local/sbin/down'],
  ]);
  assert.equal(formatInside({ sysctl: [], tables: [], downHooks: [] }), [['sysctl', 'none']]);
});

test.run();
