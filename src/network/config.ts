// The configuration directory of namespace NAME, /etc/netns-run/NAME/: each
// IFNAME.conf there is a WireGuard interface IFNAME in wg-quick's format.
// The directory is derived from the (checked) name alone: nothing a caller
// passes, no argument and no environment variable, can point netns-run at
// another file. Key files are read only if root alone can read or change
// them, and every file is checked before anything is made.
import { CONFIG_DIR, type NamespacePaths } from '../name.js';
import { readTrusted } from '../trust.js';
import { sha256 } from './digest.js';
import { wireGuardFiles } from './files.js';
import { parseWgQuick, type Dns, type WireGuardSpec } from './wg-quick.js';

/** A wg-quick file is small; anything larger is not one. */
const MAX_CONFIG_BYTES = 64 * 1024;

/** What /etc/netns-run/NAME/ asks for. */
export interface NetworkSpec {
  readonly dir: string;
  /** In the order of their file names. */
  readonly interfaces: readonly WireGuardSpec[];
  /** The DNS = lines of every interface, in that order. */
  readonly dns: Dns;
}

/** Reads and checks every WireGuard file of the namespace (its name already checked by checkName). */
export function loadNetworkConfig(paths: Pick<NamespacePaths, 'configDir'>): NetworkSpec {
  const dir = paths.configDir;
  const interfaces: WireGuardSpec[] = [];
  for (const ifname of wireGuardFiles(dir)) {
    const file = `${dir}/${ifname}.conf`;
    const bytes = readTrusted(file, { readers: 'root', maxBytes: MAX_CONFIG_BYTES, directories: [CONFIG_DIR, dir] });
    if (bytes === undefined) continue; // removed since the listing
    // What --ensure compares with what it made (a digest of the file, not the key in it).
    interfaces.push({ ...parseWgQuick(bytes.toString('utf8'), file, ifname), fingerprint: sha256(bytes) });
  }
  return {
    dir,
    interfaces,
    dns: {
      servers: interfaces.flatMap((spec) => spec.dns.servers),
      search: interfaces.flatMap((spec) => spec.dns.search),
    },
  };
}
