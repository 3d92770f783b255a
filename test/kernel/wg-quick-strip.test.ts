// renderSetconf against wg-quick itself: for each provider-style file, what
// `wg-quick strip` keeps and what netns-run renders must configure a real
// WireGuard interface identically (`wg showconf` after `wg setconf`). The
// interface is a wireguard-go one in a throwaway namespace, with /run a
// private tmpfs there, so its control socket is seen by no one else.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseWgQuick, renderSetconf } from '../../src/network/wg-quick.js';
import { isRoot, sh, skipReason, trySh } from '../support/netns-run.js';
import { SAMPLES } from '../support/wg-samples.js';

const IFNAME = 'nrws';

const SCRIPT = `
set -e
mount -t tmpfs -o mode=0700 nrw /run
WG_PROCESS_FOREGROUND=1 wireguard-go ${IFNAME} >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
i=0
while [ ! -S /run/wireguard/${IFNAME}.sock ]; do sleep 0.02; i=$((i+1)); [ $i -lt 250 ] || exit 9; done
wg setconf ${IFNAME} "$1/stripped.conf"; wg showconf ${IFNAME} > "$1/from-wg-quick"
wg setconf ${IFNAME} /dev/stdin < "$1/rendered.conf"; wg showconf ${IFNAME} > "$1/from-netns-run"
`;

const missing = ['wg-quick', 'wg', 'wireguard-go'].filter((tool) => trySh(`command -v ${tool}`).status !== 0);
if (!isRoot) {
  skipReason('wg-quick strip and wireguard-go need root');
  test.skip('wg setconf input against wg-quick strip (needs root)', () => {});
} else if (missing.length > 0) {
  skipReason(`${missing.join(', ')} not installed (Debian: wireguard-tools, wireguard-go)`);
  test.skip('wg setconf input against wg-quick strip (tools missing)', () => {});
} else {
  for (const [provider, text] of Object.entries(SAMPLES)) {
    test(`${provider}: netns-run's wg setconf input configures what wg-quick strip's does`, () => {
      const dir = mkdtempSync('/tmp/nrw-strip-');
      const ns = `nrw-strip-${process.pid}`;
      try {
        chmodSync(dir, 0o700);
        // wg-quick reads IFNAME from the file name.
        writeFileSync(`${dir}/${IFNAME}.conf`, text, { mode: 0o600 });
        writeFileSync(`${dir}/stripped.conf`, sh(`wg-quick strip ${dir}/${IFNAME}.conf`), { mode: 0o600 });
        writeFileSync(`${dir}/rendered.conf`, renderSetconf(parseWgQuick(text, `${dir}/${IFNAME}.conf`, IFNAME)), { mode: 0o600 });
        sh(`ip netns add ${ns}`);
        writeFileSync(`${dir}/script.sh`, SCRIPT);
        sh(`ip netns exec ${ns} sh ${dir}/script.sh ${dir}`);
        // Without ListenPort each setconf draws a random port: that line says nothing then.
        const randomPort = parseWgQuick(text, 'sample', IFNAME).listenPort === undefined;
        const read = (file: string) => readFileSync(`${dir}/${file}`, 'utf8').replace(randomPort ? /^ListenPort = \d+\n/m : /^$^/, '');
        const fromWgQuick = read('from-wg-quick');
        const fromNetnsRun = read('from-netns-run');
        const peers = (text.match(/^\s*\[peer\]/gim) ?? []).length;
        assert.is((fromWgQuick.match(/^\[Peer\]/gm) ?? []).length, peers, `wg showconf: ${fromWgQuick.replace(/PrivateKey.*|PresharedKey.*/g, '')}`);
        assert.match(fromWgQuick, /^PrivateKey = /m);
        // wg showconf lists peers in no fixed order (it reads them from a hash): compare them as a set.
        const canonical = (conf: string) => {
          const [head = '', ...peers] = conf.replace(/\n*$/, '\n').split(/\n(?=\[Peer\]\n)/);
          return [head.replace(/\n*$/, ''), ...peers.map((peer) => peer.replace(/\n*$/, '')).sort()].join('\n\n');
        };
        assert.fixture(canonical(fromNetnsRun), canonical(fromWgQuick));
      } finally {
        // A wireguard-go left by a failed script would keep the namespace alive.
        trySh(`ip netns pids ${ns} | xargs -r kill -9; ip netns delete ${ns}`);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

test.run();
