import { realpathSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { mayExecute } from './access.js';
import { NetnsRunError } from './errors.js';
import { programProblem, rootOnlyWritable } from './trust.js';

// Helpers run as root, so they come from the system's own directories,
// never from the caller's PATH, and only if root alone can change them.
export const TRUSTED_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

export type ToolName = 'nsenter' | 'setpriv' | 'env' | 'ip' | 'mount' | 'umount' | 'unshare' | 'flock' | 'taskset' | 'prlimit' | 'nice' | 'sh' | 'cat' | 'getent' | 'sudo' | 'pkexec' | 'wg' | 'wireguard-go' | 'nft' | 'perl';

const PACKAGES: Record<ToolName, string> = {
  nsenter: 'util-linux',
  setpriv: 'util-linux',
  unshare: 'util-linux',
  flock: 'util-linux',
  taskset: 'util-linux',
  prlimit: 'util-linux',
  nice: 'coreutils',
  mount: 'mount',
  umount: 'mount',
  ip: 'iproute2',
  env: 'coreutils',
  cat: 'coreutils',
  sh: 'dash',
  getent: 'libc-bin',
  sudo: 'sudo',
  pkexec: 'pkexec',
  wg: 'wireguard-tools',
  'wireguard-go': 'wireguard-go',
  nft: 'nftables',
  perl: 'perl-base',
};

/** Executable by this process, judged by the rule every command is judged by (access.ts), with our real ids. */
function executable(st: Stats): boolean {
  return mayExecute(st, { uid: process.getuid!(), gid: process.getgid!(), groups: process.getgroups!() });
}

/**
 * The first executable file called tool in TRUSTED_PATH, with its status: a
 * handful of stat calls and no module to load. A missing file is no
 * exception (throwIfNoEntry): building one costs more than the stat.
 */
function search(tool: string): { path: string; st: Stats } | undefined {
  for (const dir of TRUSTED_PATH.split(':')) {
    const path = `${dir}/${tool}`;
    let st: Stats | undefined;
    try {
      st = statSync(path, { throwIfNoEntry: false });
    } catch {
      // not reachable: the next directory
    }
    if (st !== undefined && st.isFile() && executable(st)) return { path, st };
  }
  return undefined;
}

export function findTool(tool: ToolName): string {
  const path = findOptionalTool(tool);
  if (path === undefined) throw new NetnsRunError(`${tool} not found in ${TRUSTED_PATH}; install ${PACKAGES[tool]}`);
  return path;
}

/** findTool for a tool netns-run can do without (wireguard-go where the kernel has WireGuard): undefined if not installed. */
export function findOptionalTool(tool: ToolName): string | undefined {
  const found = search(tool);
  if (found === undefined) return undefined;
  const { path, st } = found;
  if (!rootOnlyWritable(st) || !rootOnlyWritable(statSync(dirname(path)))) {
    throw new NetnsRunError(`${path} can be changed by someone other than root, so netns-run will not run it as root; fix its owner and mode`);
  }
  return path;
}

/**
 * A program outside TRUSTED_PATH at a fixed place (systemd-socket-proxyd
 * lives in /usr/lib/systemd): the first candidate that is an executable
 * file, after symlinks, that root alone can change, in directories root
 * alone can change up to /. Undefined if none is.
 */
export function findProgramAt(candidates: readonly string[]): string | undefined {
  for (const candidate of candidates) {
    let real: string;
    let st: Stats;
    try {
      real = realpathSync(candidate);
      st = statSync(real);
    } catch {
      continue;
    }
    if (executable(st) && programProblem(real) === undefined) return real;
  }
  return undefined;
}

export type Tools = Record<ToolName, string>;

/** Resolves the named tools once; cheap enough for the warm path (a few stat calls each). */
export function findTools<T extends ToolName>(names: readonly T[]): Pick<Tools, T> {
  const found = {} as Pick<Tools, T>;
  for (const name of names) found[name] = findTool(name);
  return found;
}
