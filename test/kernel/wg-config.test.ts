// The configuration directory /etc/netns-run/NAME/ against the real file
// system: which files are read, and which are refused (with one line naming
// the file and the fix) because someone other than root could read or
// change them.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetnsRunError } from '../../src/errors.js';
import { pathsFor } from '../../src/name.js';
import { loadNetworkConfig } from '../../src/network/config.js';
import { cidrText } from '../../src/network/address.js';
import { isRoot, skipReason } from '../support/netns-run.js';
import { KEYS, MESSY, MULLVAD } from '../support/wg-samples.js';

let counter = 0;
/** A fresh /etc/netns-run/nrw-cfg-PID-N, removed after BODY whatever happens. */
function withConfigDir(body: (name: string, dir: string) => void): void {
  counter += 1;
  const name = `nrw-cfg-${process.pid}-${counter}`;
  const dir = pathsFor(name).configDir;
  mkdirSync('/etc/netns-run', { recursive: true, mode: 0o755 });
  mkdirSync(dir, { mode: 0o755 });
  try {
    body(name, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function refusal(name: string, pattern: RegExp): string {
  try {
    loadNetworkConfig(pathsFor(name));
  } catch (error) {
    assert.instance(error, NetnsRunError);
    const message = (error as Error).message;
    assert.match(message, pattern);
    assert.not.match(message, /\n/);
    for (const key of Object.values(KEYS)) assert.not.ok(message.includes(key), `a key in the message: ${message}`);
    return message;
  }
  assert.unreachable(`loaded, expected ${pattern}`);
  return '';
}

if (!isRoot) {
  skipReason('the configuration directory tests need root (files owned by root and by others)');
  test.skip('the configuration directory (needs root)', () => {});
} else {
  test('IFNAME.conf files are read in name order; network.conf and other files are left alone', () => {
    withConfigDir((name, dir) => {
      writeFileSync(`${dir}/wg1.conf`, MESSY, { mode: 0o600 });
      writeFileSync(`${dir}/wg0.conf`, MULLVAD, { mode: 0o600 });
      writeFileSync(`${dir}/network.conf`, 'not wg-quick at all', { mode: 0o644 });
      writeFileSync(`${dir}/README`, 'notes', { mode: 0o644 });
      writeFileSync(`${dir}/wg0.conf.bak`, 'junk', { mode: 0o644 });
      const spec = loadNetworkConfig(pathsFor(name));
      assert.equal(spec.interfaces.map((i) => i.interfaceName), ['wg0', 'wg1']);
      assert.is(spec.interfaces[0]!.file, `${dir}/wg0.conf`);
      assert.equal(spec.interfaces[0]!.addresses.map(cidrText), ['10.64.222.21/32', 'fc00:bbbb:bbbb:bb01::1:de14/128']);
      assert.equal(spec.dns.servers, ['10.64.0.1', '10.9.0.1', 'fd42::1', '10.9.0.53']);
    });
  });

  test('no directory: no interfaces', () => {
    assert.equal(loadNetworkConfig(pathsFor(`nrw-none-${process.pid}`)).interfaces, []);
  });

  test('a key file that group or others can read is refused: chmod 600', () => {
    for (const mode of [0o640, 0o604, 0o644]) {
      withConfigDir((name, dir) => {
        writeFileSync(`${dir}/wg0.conf`, MULLVAD);
        chmodSync(`${dir}/wg0.conf`, mode);
        refusal(name, new RegExp(`^${dir}/wg0\\.conf holds a private key and must be readable by root alone; chmod 600 it$`));
      });
    }
  });

  test('a key file not owned by root, or writable by others, is refused', () => {
    withConfigDir((name, dir) => {
      writeFileSync(`${dir}/wg0.conf`, MULLVAD, { mode: 0o600 });
      chownSync(`${dir}/wg0.conf`, 65534, 0);
      refusal(name, /wg0\.conf must be owned by root and writable by no one else.*chown root: /);
    });
    withConfigDir((name, dir) => {
      writeFileSync(`${dir}/wg0.conf`, MULLVAD);
      chmodSync(`${dir}/wg0.conf`, 0o602);
      refusal(name, /wg0\.conf must be owned by root and writable by no one else/);
    });
  });

  test('a symbolic link is refused, even to a good file', () => {
    withConfigDir((name, dir) => {
      writeFileSync(`${dir}/real`, MULLVAD, { mode: 0o600 });
      symlinkSync(`${dir}/real`, `${dir}/wg0.conf`);
      refusal(name, /is a symbolic link/);
    });
  });

  test('a directory others can write is refused, and a *.conf that is no interface name', () => {
    withConfigDir((name, dir) => {
      chmodSync(dir, 0o777);
      refusal(name, /must be a directory owned by root and writable by no one else/);
    });
    withConfigDir((name, dir) => {
      writeFileSync(`${dir}/much-too-long-name.conf`, MULLVAD, { mode: 0o600 });
      refusal(name, /the name before \.conf must be an interface name/);
    });
  });

  // /etc/netns-run itself is shared by every namespace: whoever may write it may swap NAME's directory.
  // Made wrong only in a private mount namespace (a scratch directory bound over it), never on the host.
  test('/etc/netns-run writable by others is refused, even when NAME has no WireGuard file yet', () => {
    const name = `nrm-cfgroot-${process.pid}`;
    const scratch = mkdtempSync('/tmp/nrm-cfgroot-');
    mkdirSync('/etc/netns-run', { recursive: true, mode: 0o755 });
    const load = (): string => {
      const module = (file: string) => JSON.stringify(pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', file)).href);
      const script = `import { loadNetworkConfig } from ${module('network/config.js')}; import { pathsFor } from ${module('name.js')};
        try { console.log('loaded ' + loadNetworkConfig(pathsFor(${JSON.stringify(name)})).interfaces.length); } catch (error) { console.log(error.message); }`;
      const result = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$1" /etc/netns-run && exec "$2" --input-type=module -e "$3"', 'sh', scratch, process.execPath, script], { encoding: 'utf8' });
      assert.is(result.status, 0, result.stderr);
      return result.stdout.trim();
    };
    try {
      mkdirSync(join(scratch, name), { mode: 0o755 });
      for (const mode of [0o777, 0o775, 0o757]) {
        chmodSync(scratch, mode);
        assert.match(load(), /^\/etc\/netns-run must be a directory owned by root and writable by no one else/, mode.toString(8));
      }
      writeFileSync(join(scratch, name, 'wg0.conf'), MULLVAD, { mode: 0o600 });
      chmodSync(scratch, 0o777);
      assert.match(load(), /^\/etc\/netns-run must be a directory owned by root/, 'with a key file in NAME');
      // The control: the same directories, root's alone, are read.
      chmodSync(scratch, 0o755);
      assert.is(load(), 'loaded 1');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test('a malformed file: file:line, never the value', () => {
    withConfigDir((name, dir) => {
      writeFileSync(`${dir}/wg0.conf`, `[Interface]\nPrivateKey = ${KEYS.clientPrivate.slice(0, 43)}\n`, { mode: 0o600 });
      refusal(name, new RegExp(`^${dir}/wg0\\.conf:2: PrivateKey is not a WireGuard key`));
    });
  });
}

test.run();
