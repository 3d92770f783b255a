import type { Caller } from './caller.js';

// Two environments leave netns-run. The target gets the caller's own. The
// helpers that run as root on the way there (nsenter, setpriv) must not: a
// variable that steers the dynamic loader or glibc would run the caller's
// code as root. So the chain carries the caller's environment minus those,
// and env(1), the first program that runs as the caller, puts them back.

/** Set by the elevation itself; the target never saw them in the caller's shell. */
const ELEVATION_VARIABLES = ['SUDO_COMMAND', 'SUDO_USER', 'SUDO_UID', 'SUDO_GID', 'SUDO_HOME', 'SUDO_PS1', 'PKEXEC_UID'];

/**
 * glibc's list of variables it ignores in secure (setuid) mode, plus the
 * tunables (CVE-2023-4911) and anything starting with LD_. A root process
 * exec'd normally is not in secure mode, so we drop them ourselves.
 */
const UNSAFE_FOR_ROOT = new Set([
  'GCONV_PATH', 'GETCONF_DIR', 'GLIBC_TUNABLES', 'HOSTALIASES', 'LOCALDOMAIN', 'LOCPATH',
  'MALLOC_ARENA_MAX', 'MALLOC_ARENA_TEST', 'MALLOC_CHECK_', 'MALLOC_MMAP_MAX_', 'MALLOC_MMAP_THRESHOLD_',
  'MALLOC_PERTURB_', 'MALLOC_TOP_PAD_', 'MALLOC_TRACE', 'MALLOC_TRIM_THRESHOLD_', 'NIS_PATH', 'NLSPATH',
  'RESOLV_HOST_CONF', 'RES_OPTIONS', 'TMPDIR', 'TZDIR', 'LANG', 'LANGUAGE', 'TZ',
]);

/**
 * Also the locale and time zone: a root program's glibc follows LANG,
 * LANGUAGE and LC_* to message catalogues (format strings) and TZ to zone
 * files wherever they point, which in secure mode it would refuse.
 */
export function isUnsafeForRoot(name: string): boolean {
  return name.startsWith('LD_') || name.startsWith('LC_') || UNSAFE_FOR_ROOT.has(name);
}

export interface SplitEnvironment {
  /** What nsenter and setpriv (root) see; also carries the rest to the target. */
  readonly helpers: Record<string, string>;
  /** NAME=VALUE words for env(1), which runs as the caller and restores them. */
  readonly restore: readonly string[];
}

/** The caller's environment as the target should see it. */
export function targetEnvironment(env: NodeJS.ProcessEnv, caller: Caller, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || ELEVATION_VARIABLES.includes(key)) continue;
    // A name with '=' cannot be passed through exec; a NUL cannot exist in C.
    if (key === '' || key.includes('=') || key.includes('\0') || value.includes('\0')) continue;
    out[key] = value;
  }
  out.HOME = caller.home;
  out.USER = caller.user;
  out.LOGNAME = caller.user;
  out.SHELL = caller.shell;
  // sudo points MAIL at root's mailbox; login(1) would have set the caller's.
  if (out.MAIL !== undefined) out.MAIL = `/var/mail/${caller.user}`;
  out.NETNS_RUN_NAME = name;
  return out;
}

/**
 * A name no shell could set (bash's exported functions, BASH_FUNC_f%%,
 * arrive this way in a hand-over): env(1) sets it for the target instead,
 * since the launcher's shell could not export it to the helpers.
 */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function splitEnvironment(target: Record<string, string>): SplitEnvironment {
  const helpers: Record<string, string> = {};
  const restore: string[] = [];
  for (const [key, value] of Object.entries(target)) {
    if (isUnsafeForRoot(key) || !SHELL_NAME.test(key)) restore.push(`${key}=${value}`);
    else helpers[key] = value;
  }
  return { helpers, restore };
}
