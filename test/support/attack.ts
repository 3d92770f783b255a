// The hostile user of the security suite (test/security/*.test.ts): a real
// unprivileged account (createTestUser) that attacks netns-run the three
// ways it can reach root:
//
//   sudo    `sudo -n BIN ...`, allowed by the test user's sudoers rule
//           (sudo's secure_path finds NODE for BIN's launcher line);
//   setuid  `SUIDNODE BIN ...`, SUIDNODE being a setuid-root copy of NODE
//           standing in for a setuid wrapper. It lives in a 0711 directory
//           under /var/tmp made for the test file, is mode 4750 and group-
//           owned by the test user's own group, so that only the test user can
//           run it, and is removed when the file ends;
//   self    `BIN ...` run by the user, netns-run elevating itself with
//           `sudo -n -- BIN ...`; the sudoers rule that allows it exists only
//           while such a test runs (enterMode/leaveMode);
//   wrapper `WRAPPER ...`, a small setuid-root C program next to SUIDNODE
//           that executes NODE BIN with the caller's arguments and
//           environment, as SECURITY.md's setuid wrapper (NixOS's
//           security.wrappers) does: the real deployment the setuid copy
//           stands in for.
//
// Everything the attacker plants lives in their home: fake tools, a preload
// library built with gcc as the user, Node payloads, and a markers directory
// every payload writes "EUID UID WHAT" lines to. runAttack() runs netns-run
// as the user with exactly the environment a test names, passed as words to
// env(1) run as the user: nothing of it reaches the root runuser that starts
// the attack. With `trace`, the whole run is traced with strace, and audit()
// lists every file syscall a privileged process (euid 0, netns-run or a
// helper it started) made on the attacker's files, and every helper run as
// root with a variable glibc drops for setuid programs.
//
// teardownAttacker() removes everything (user, sudoers files, setuid copy,
// root's scratch) and also runs from an exit handler.
import { isSkip, skippable } from './skip.js';
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BIN, NODE, NODE_DIR, PACKAGE, netnsRun, runProgram, sh, trySh, type Result } from './netns-run.js';
import { createTestUser, sudoMissing, type TestUser } from './user.js';

export type Mode = 'sudo' | 'setuid' | 'self' | 'wrapper';
/** The three ways of the brief; 'wrapper' (a compiled setuid wrapper, SECURITY.md's deployment (c)) is added where a hole needs confirming. */
export const MODES: readonly Mode[] = ['sudo', 'setuid', 'self'];

export const RUNUSER = trySh('command -v runuser').stdout.trim() || '/usr/sbin/runuser';
/** strace, for the audit of what privileged processes touch; without it traced attacks run untraced and say so. */
export const STRACE = trySh('command -v strace').stdout.trim();
export const SUDO = trySh('command -v sudo').stdout.trim() || '/usr/bin/sudo';
const ENV = '/usr/bin/env';

/** Why the security suite cannot run here, or undefined. */
export function attackMissing(): string | undefined {
  if (process.geteuid?.() !== 0) return 'not root: the security suite makes users, sudoers rules and a setuid binary';
  const sudo = sudoMissing();
  if (sudo) return sudo;
  for (const tool of ['gcc', 'prlimit', 'unshare']) {
    if (trySh(`command -v ${tool}`).status !== 0) return `${tool} is not installed (apt-get install -y ${tool === 'prlimit' || tool === 'unshare' ? 'util-linux' : tool}); the security suite needs it`;
  }
  return undefined;
}

export interface Attacker {
  readonly user: TestUser;
  readonly home: string;
  /** The user's own working directory (home/work), where attacks start by default. */
  readonly work: string;
  /** Payloads write "EUID UID WHAT" lines here; cleared by clearMarkers(). */
  readonly markers: string;
  /** home/evil: fake tools (bin), the preload library (lib), Node payloads. */
  readonly evil: string;
  /** The setuid-root copy of NODE. */
  readonly suidNode: string;
  /** The setuid-root C wrapper that executes NODE BIN. */
  readonly wrapper: string;
  /** A 0700 directory of root's (under /root): nothing in it is the user's to see. */
  readonly rootOnly: string;
  /** A secret only root can read, to look for in every output. */
  readonly secret: string;
}

let current: Attacker | undefined;
let suidDir = '';
let rootOnlyDir = '';
let selfRule = '';
let exitHook: (() => void) | undefined;

/** The rule self-elevation needs (`sudo -n -- BIN ...`), besides createTestUser's `NODE BIN *`. */
function installSelfRule(user: TestUser): void {
  selfRule = `/etc/sudoers.d/${user.name}-self`;
  const draft = `${selfRule}.draft`;
  writeFileSync(draft, `# netns-run security tests (pid ${process.pid}); removed when they end\n${user.name} ALL=(root) NOPASSWD: ${BIN} *\n`, { mode: 0o440 });
  chmodSync(draft, 0o440);
  const check = spawnSync('visudo', ['-cf', draft], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(draft, { force: true });
    throw new Error(`visudo -cf rejected the self-elevation rule: ${(check.stderr || check.stdout).trim()}`);
  }
  renameSync(draft, selfRule);
}

function removeSelfRule(): void {
  if (!selfRule) return;
  rmSync(`${selfRule}.draft`, { force: true });
  rmSync(selfRule, { force: true });
  selfRule = '';
}

/** Before a test in MODE: self-elevation gets its sudoers rule. */
export function enterMode(mode: Mode, attacker: Attacker): void {
  if (mode === 'self') installSelfRule(attacker.user);
}

/** After a test in MODE, also when it failed. */
export function leaveMode(mode: Mode): void {
  if (mode === 'self') removeSelfRule();
}

/** Writes FILE as the user would: owned by them. */
export function plant(attacker: Attacker, file: string, content: string, mode = 0o644): void {
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
  chownSync(file, attacker.user.uid, attacker.user.gid);
}

export function plantDir(attacker: Attacker, dir: string, mode = 0o755): void {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
  chownSync(dir, attacker.user.uid, attacker.user.gid);
}

/** The tools netns-run runs as root, and a few more a PATH hijack would aim at. */
export const HIJACKED = ['nsenter', 'setpriv', 'env', 'ip', 'mount', 'umount', 'unshare', 'flock', 'taskset', 'sh', 'bash', 'dash', 'cat', 'getent', 'sudo', 'pkexec', 'node', 'id', 'true', 'ls', 'readlink', 'mkdir', 'rm', 'which'];

const LIBEVIL_C = `#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void mark(const char *what) {
  char comm[64] = "?";
  int fd = open("/proc/self/comm", O_RDONLY);
  if (fd >= 0) { ssize_t n = read(fd, comm, sizeof comm - 1); if (n > 0) comm[n - 1] = 0; close(fd); }
  fd = open(MARKDIR "/lib.log", O_WRONLY | O_CREAT | O_APPEND, 0666);
  if (fd >= 0) { dprintf(fd, "%d %d %s:%s\\n", (int)geteuid(), (int)getuid(), what, comm); close(fd); }
}
__attribute__((constructor)) static void init(void) { mark("ctor"); }
unsigned int la_version(unsigned int version) { mark("audit"); return version; }
int gconv_init(void *step) { (void)step; mark("gconv"); return 0; }
int gconv(void *a, void *b, void *c, void *d, void *e, int f) { (void)a; (void)b; (void)c; (void)d; (void)e; (void)f; return 0; }
`;

/** Real path of a tool, for the fakes to hand over to after leaving their mark. */
function realTool(name: string): string | undefined {
  const found = trySh(`PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v ${name}`).stdout.trim();
  return found.startsWith('/') ? found : undefined;
}

/** Makes the attacker: the user, their payloads, the setuid copy and root's scratch. */
export function setUpAttacker(): Attacker {
  const user = createTestUser();
  exitHook = () => teardownAttacker();
  process.on('exit', exitHook);
  const home = user.home;
  const work = join(home, 'work');
  const markers = join(home, 'markers');
  const evil = join(home, 'evil');
  const partial: Omit<Attacker, 'suidNode' | 'wrapper' | 'rootOnly' | 'secret'> = { user, home, work, markers, evil };
  const attacker = partial as Attacker;
  for (const dir of [work, markers, evil, join(evil, 'bin'), join(evil, 'lib'), join(evil, 'node_path'), join(evil, 'gconv'), join(work, 'evilrel')]) plantDir(attacker, dir);

  // Fake tools: leave a mark, then hand over to the real one so that a hijack would go unnoticed but for the mark.
  for (const tool of HIJACKED) {
    const real = realTool(tool);
    // The ids come from the kernel through shell builtins: /usr/bin/id would
    // run under the attacker's own LD_LIBRARY_PATH and may fail to print.
    const ids = 'while read -r key real effective rest; do [ "$key" = Uid: ] && break; done </proc/self/status';
    const script = `#!/bin/sh\n${ids}\necho "$effective $real path:${tool}" >> ${markers}/path.log\n${real ? `exec ${real} "$@"` : 'exit 0'}\n`;
    plant(attacker, join(evil, 'bin', tool), script, 0o755);
    plant(attacker, join(work, 'evilrel', tool), script.replace('path:', 'relpath:'), 0o755);
  }
  // The preload library, built by the user from their own source.
  plant(attacker, join(evil, 'lib', 'evil.c'), LIBEVIL_C);
  const build = spawnSync(RUNUSER, ['-u', user.name, '--', ENV, '-i', 'PATH=/usr/bin:/bin', 'gcc', '-shared', '-fPIC', '-O1', `-DMARKDIR="${markers}"`,
    '-o', join(evil, 'lib', 'libevil.so'), join(evil, 'lib', 'evil.c')], { encoding: 'utf8', cwd: home });
  if (build.status !== 0) throw new Error(`gcc could not build the preload library as ${user.name}: ${build.stderr}`);
  // Libraries the root helpers link against, for LD_LIBRARY_PATH to offer.
  for (const soname of ['libselinux.so.1', 'libcap-ng.so.0', 'libpcre2-8.so.0']) {
    copyFileSync(join(evil, 'lib', 'libevil.so'), join(evil, 'lib', soname));
    chownSync(join(evil, 'lib', soname), user.uid, user.gid);
  }
  plant(attacker, join(evil, 'gconv', 'gconv-modules'), `alias EVILCHARSET// EVIL//\nmodule EVIL// INTERNAL ${join(evil, 'lib', 'libevil')} 1\nmodule INTERNAL EVIL// ${join(evil, 'lib', 'libevil')} 1\n`);
  // Node payloads.
  const nodeMark = (what: string) =>
    `require('fs').appendFileSync(${JSON.stringify(join(markers, 'node.log'))}, process.geteuid() + ' ' + process.getuid() + ' ${what}\\n');\n`;
  plant(attacker, join(evil, 'evil.cjs'), nodeMark('node:require'));
  plant(attacker, join(evil, 'evil.mjs'), `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${nodeMark('node:import')}`);
  for (const pkg of ['yargs', 'execa', 'which', 'signal-exit', 'y18n', 'yargs-parser']) {
    plantDir(attacker, join(evil, 'node_path', pkg));
    plant(attacker, join(evil, 'node_path', pkg, 'package.json'), JSON.stringify({ name: pkg, main: 'index.js' }));
    plant(attacker, join(evil, 'node_path', pkg, 'index.js'), nodeMark(`node_path:${pkg}`));
  }
  plant(attacker, join(evil, 'ca.pem'), 'not a certificate\n');
  plant(attacker, join(evil, 'openssl.cnf'), `openssl_conf = evil\n[evil]\nengines = e\n[e]\nevil = evil_section\n[evil_section]\ndynamic_path = ${join(evil, 'lib', 'libevil.so')}\ninit = 1\n`);
  // Shell payloads: each runs a fake tool that leaves a mark.
  plant(attacker, join(evil, 'shellrc'), `echo "$(/usr/bin/id -u) $(/usr/bin/id -ru) shell:rc" >> ${markers}/shell.log\n`);

  // The setuid-root copy of the Node that runs netns-run; only the user's group may run it.
  suidDir = mkdtempSync('/var/tmp/nrt-suid-');
  chmodSync(suidDir, 0o711);
  const suidNode = join(suidDir, 'node');
  copyFileSync(NODE, suidNode);
  chownSync(suidNode, 0, user.gid);
  chmodSync(suidNode, 0o4750);
  // The wrapper: Node by absolute path on netns-run's entry, arguments and environment passed as they come.
  const wrapper = join(suidDir, 'wrapper');
  writeFileSync(`${wrapper}.c`, `#include <unistd.h>
int main(int argc, char **argv) {
  char *args[argc + 2];
  args[0] = "${NODE}";
  args[1] = "${BIN}";
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  args[argc + 1] = 0;
  execv(args[0], args);
  return 127;
}
`);
  const cc = spawnSync('gcc', ['-O1', '-o', wrapper, `${wrapper}.c`], { encoding: 'utf8' });
  rmSync(`${wrapper}.c`, { force: true });
  if (cc.status !== 0) throw new Error(`gcc could not build the setuid wrapper: ${cc.stderr}`);
  chownSync(wrapper, 0, user.gid);
  chmodSync(wrapper, 0o4750);

  // Root's scratch: /root is 0700, and so is this.
  rootOnlyDir = mkdtempSync('/root/nrt-attack-');
  chmodSync(rootOnlyDir, 0o700);
  const secret = `nrt-secret-${process.pid}-${Math.random().toString(36).slice(2)}`;
  mkdirSync(join(rootOnlyDir, 'dir'), { mode: 0o755 });
  writeFileSync(join(rootOnlyDir, 'dir', 'file'), `${secret}\n`, { mode: 0o644 });
  writeFileSync(join(rootOnlyDir, 'secret.txt'), `${secret}\n`, { mode: 0o600 });
  // A JSON file whose key a message catalogue would look up ("Options:" heads yargs' help).
  writeFileSync(join(rootOnlyDir, 'catalogue.json'), JSON.stringify({ 'Options:': secret, 'Examples:': secret, 'Unknown argument: %s': secret }), { mode: 0o600 });
  writeFileSync(join(rootOnlyDir, 'notjson.json'), `${secret} is not JSON\n`, { mode: 0o600 });
  // A script of root's, executable by root only, that says so if it ever runs.
  writeFileSync(join(rootOnlyDir, 'dir', 'root-only.sh'), `#!/bin/sh\necho "$(id -u) $(id -ru) ran:root-only" >> ${markers}/ran.log\n`, { mode: 0o700 });

  current = { ...partial, suidNode, wrapper, rootOnly: rootOnlyDir, secret };
  return current;
}

/** Removes everything setUpAttacker made; idempotent, whatever state it is in. */
export function teardownAttacker(): void {
  if (exitHook) process.off('exit', exitHook);
  exitHook = undefined;
  removeSelfRule();
  if (suidDir) rmSync(suidDir, { recursive: true, force: true });
  suidDir = '';
  if (rootOnlyDir) rmSync(rootOnlyDir, { recursive: true, force: true });
  rootOnlyDir = '';
  current?.user.cleanup();
  current = undefined;
}

/** Before each attack: no marks, and nothing root left in the attacker's home by an earlier one. */
export function resetHome(attacker: Attacker): void {
  clearMarkers(attacker);
  for (const path of rootOwnedIn(attacker.home)) rmSync(path, { recursive: true, force: true });
}

export function clearMarkers(attacker: Attacker): void {
  for (const entry of readdirSync(attacker.markers)) rmSync(join(attacker.markers, entry), { recursive: true, force: true });
}

export interface Mark {
  readonly euid: number;
  readonly uid: number;
  readonly what: string;
  readonly file: string;
}

/** Every line any payload wrote. */
export function readMarkers(attacker: Attacker): Mark[] {
  const marks: Mark[] = [];
  for (const file of readdirSync(attacker.markers)) {
    const path = join(attacker.markers, file);
    if (!statSync(path).isFile()) continue;
    for (const line of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
      const [euid, uid, ...what] = line.split(' ');
      marks.push({ euid: Number(euid), uid: Number(uid), what: what.join(' '), file });
    }
  }
  return marks;
}

/** The payloads that ran with root's rights: must always be none. */
export function rootMarks(attacker: Attacker): Mark[] {
  return readMarkers(attacker).filter((mark) => mark.euid === 0 || mark.uid === 0 || Number.isNaN(mark.euid));
}

/** Files and directories root owns in the attacker's home: root writing where the attacker said. */
export function rootOwnedIn(dir: string): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    if (st.uid === 0) found.push(path);
    if (st.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(dir);
  return found;
}

export interface AttackOptions {
  /** Variables on top of the user's login-like base environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** The complete environment instead of base + env. */
  readonly exactEnv?: Readonly<Record<string, string>>;
  /** Where the user starts (default: their work directory). PWD follows unless env sets it. */
  readonly cwd?: string;
  /** Words run as the user before the program (prlimit ..., sh -c ...). */
  readonly wrap?: readonly string[];
  /** Trace the run with strace and audit it. */
  readonly trace?: boolean;
  readonly timeoutMs?: number;
}

export interface AttackResult extends Result {
  /** With trace: what privileged processes did to the attacker's files (empty when nothing). */
  readonly audit?: Audit;
}

/** The words that start netns-run in MODE; the caller appends netns-run's own arguments. */
export function entry(mode: Mode, attacker: Attacker): string[] {
  switch (mode) {
    case 'sudo':
      return [SUDO, '-n', BIN];
    case 'setuid':
      return [attacker.suidNode, BIN];
    case 'self':
      return [BIN];
    case 'wrapper':
      return [attacker.wrapper];
  }
}

export function baseEnv(attacker: Attacker, cwd: string): Record<string, string> {
  const { user } = attacker;
  // NODE_DIR first: the launcher line of BIN runs `node` from PATH (self mode).
  return { PATH: `${NODE_DIR}:/usr/local/bin:/usr/bin:/bin`, HOME: user.home, USER: user.name, LOGNAME: user.name, SHELL: user.shell, LANG: 'C.UTF-8', PWD: cwd };
}

/** Runs WORDS as the attacker with exactly the environment OPTIONS give, via env -i run as the user. */
export async function runAs(attacker: Attacker, words: readonly string[], options: AttackOptions = {}): Promise<AttackResult> {
  const cwd = options.cwd ?? attacker.work;
  const env = options.exactEnv ?? { ...baseEnv(attacker, cwd), ...options.env };
  const assignments = Object.entries(env).map(([key, value]) => {
    if (key.includes('=') || key === '') throw new Error(`cannot pass a variable named ${JSON.stringify(key)} through env(1)`);
    return `${key}=${value}`;
  });
  const argv = [RUNUSER, '-u', attacker.user.name, '--', ENV, '-i', ...assignments, ...(options.wrap ?? []), ...words];
  const rootEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  if (!options.trace || !STRACE) return runProgram(argv[0]!, argv.slice(1), { cwd, env: rootEnv, timeoutMs: options.timeoutMs ?? 60_000 });
  const log = join(mkdtempSync('/tmp/nrt-strace-'), 'trace');
  try {
    const result = await runProgram(STRACE, ['-f', '-qq', '-v', '-s', '4096', '-e', 'trace=%file,%process,setuid,setreuid,setresuid', '-e', 'signal=none', '-o', log, '--', ...argv], {
      cwd,
      env: rootEnv,
      timeoutMs: options.timeoutMs ?? 120_000,
    });
    const audit = auditTrace(readFileSync(log, 'utf8'), { attackerDirs: [attacker.home], scope: nodeImages(attacker), ignoreImages: [SUDO], attackerEnv: assignments });
    return { ...result, audit };
  } finally {
    rmSync(join(log, '..'), { recursive: true, force: true });
  }
}

/** What runs netns-run itself: the Nodes (and the script sudo runs). Node guards its own start-up; helpers are audited for variables. */
function nodeImages(attacker: Attacker): string[] {
  const nodes = [NODE, attacker.suidNode, attacker.wrapper, BIN, '/usr/bin/node', '/usr/bin/nodejs'];
  return [...new Set([...nodes, ...nodes.filter(existsSync).map((path) => realpathSync(path))])];
}

/** Runs netns-run ARGS as the attacker in MODE. */
export function attackRun(mode: Mode, attacker: Attacker, args: readonly string[], options: AttackOptions = {}): Promise<AttackResult> {
  return runAs(attacker, [...entry(mode, attacker), ...args], options);
}

// ---- the strace audit -------------------------------------------------------

/**
 * Variables glibc drops for setuid programs (and tunables), and the locale
 * and time zone, which glibc follows to catalogues and zone files wherever
 * they point (SECURITY.md: kept from the root helpers): never for a helper
 * run as root.
 */
export const GLIBC_UNSAFE = ['GCONV_PATH', 'GETCONF_DIR', 'GLIBC_TUNABLES', 'HOSTALIASES', 'LOCALDOMAIN', 'LOCPATH', 'MALLOC_TRACE', 'NIS_PATH', 'NLSPATH', 'RESOLV_HOST_CONF', 'RES_OPTIONS', 'TMPDIR', 'TZDIR', 'LANG', 'LANGUAGE', 'TZ'];

function unsafeName(name: string): boolean {
  return name.startsWith('LD_') || name.startsWith('MALLOC_') || name.startsWith('LC_') || GLIBC_UNSAFE.includes(name);
}

/**
 * Syscalls that read, run, make or change the file they name. stat-like
 * calls only look and are left out, and so is chdir: Node's child_process
 * starts helpers in the caller's directory, which is harmless as long as no
 * privileged process then names a relative path (flagged below).
 */
const TOUCHING = new Set(['open', 'openat', 'openat2', 'creat', 'execve', 'execveat', 'truncate', 'mkdir', 'mkdirat', 'rmdir', 'unlink', 'unlinkat',
  'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat', 'chmod', 'fchmodat', 'chown', 'lchown', 'fchownat', 'mknod', 'mknodat',
  'utime', 'utimes', 'utimensat', 'futimesat', 'mount', 'umount2', 'chroot', 'swapon', 'acct', 'setxattr', 'lsetxattr', 'removexattr', 'lremovexattr']);

interface ProcState {
  euid: number;
  scope: boolean;
  image: string;
}

export interface Audit {
  /** One line each: what a privileged process did to the attacker's files, or which unsafe variable a root helper got. */
  readonly violations: string[];
  /** Helpers netns-run ran as root (their paths), to show the trace saw the chain. */
  readonly rootExecs: string[];
  readonly lines: number;
}

export interface AuditOptions {
  /** Anything at or under these is the attacker's. */
  readonly attackerDirs: readonly string[];
  /** Running one of these puts a process (and its descendants) in scope. */
  readonly scope: readonly string[];
  /** Images whose own syscalls are not netns-run's (sudo). */
  readonly ignoreImages: readonly string[];
  /** NAME=VALUE words the attacker set: an unsafe variable counts when it carries one of these, or names their files. */
  readonly attackerEnv?: readonly string[];
}

function unescape(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, esc: string) => {
    if (esc[0] === 'x') return String.fromCharCode(parseInt(esc.slice(1), 16));
    if (/^[0-7]+$/.test(esc)) return String.fromCharCode(parseInt(esc, 8));
    return ({ n: '\n', t: '\t', r: '\r', v: '\v', f: '\f' } as Record<string, string>)[esc] ?? esc;
  });
}

/** The quoted strings of an argument list, grouped by bracket depth: top-level strings, then each [...] array. */
function scanArguments(text: string): { plain: string[]; arrays: string[][] } {
  const plain: string[] = [];
  const arrays: string[][] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const value = unescape(text.slice(i + 1, j));
      if (depth === 0) plain.push(value);
      else arrays[arrays.length - 1]!.push(value);
      i = j;
    } else if (c === '[') {
      depth += 1;
      if (depth === 1) arrays.push([]);
    } else if (c === ']') {
      depth = Math.max(0, depth - 1);
    } else if (c === ')' && depth === 0) {
      break;
    }
  }
  return { plain, arrays };
}

function isSetuidRoot(path: string): boolean {
  try {
    const st = statSync(path);
    return st.uid === 0 && (st.mode & 0o4000) !== 0;
  } catch {
    return false;
  }
}

/**
 * Reads `strace -f -v -e trace=%file,%process,setuid,setreuid,setresuid`
 * output. A process is in scope once it (or an ancestor) runs one of
 * options.scope; it is privileged while its effective uid is 0, which the
 * set*uid calls and setuid-root executables change.
 */
export function auditTrace(text: string, options: AuditOptions): Audit {
  const lines = text.split('\n').filter(Boolean);
  const parentOf = new Map<number, number>();
  const childResult = /^(?:clone3?|fork|vfork)\(.*\)\s+=\s+(\d+)/;
  const resumedChild = /^<\.\.\. (?:clone3?|fork|vfork) resumed>.*\)\s+=\s+(\d+)/;
  for (const line of lines) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const child = childResult.exec(m[2]!) ?? resumedChild.exec(m[2]!);
    if (child) parentOf.set(Number(child[1]), Number(m[1]));
  }
  const states = new Map<number, ProcState>();
  const pendingExec = new Map<number, { path: string; env: string[] }>();
  const violations: string[] = [];
  const rootExecs: string[] = [];
  const mine = (path: string) => options.attackerDirs.some((dir) => path === dir || path.startsWith(`${dir}/`));
  const stateOf = (pid: number): ProcState => {
    let state = states.get(pid);
    if (state === undefined) {
      const parent = parentOf.get(pid);
      const from = parent !== undefined ? states.get(parent) : undefined;
      state = from ? { ...from } : { euid: 0, scope: false, image: '(first)' };
      states.set(pid, state);
    }
    return state;
  };
  const privileged = (state: ProcState) => state.scope && state.euid === 0 && !options.ignoreImages.includes(state.image);
  const applyExec = (pid: number, state: ProcState, exec: { path: string; env: string[] }) => {
    state.image = exec.path;
    if (options.scope.includes(exec.path)) state.scope = true;
    if (isSetuidRoot(exec.path)) state.euid = 0;
    if (!privileged(state)) return;
    if (!options.scope.includes(exec.path)) rootExecs.push(exec.path);
    if (options.scope.includes(exec.path)) return; // netns-run itself: Node guards its own start-up
    for (const variable of exec.env) {
      const name = variable.slice(0, Math.max(0, variable.indexOf('=')));
      const theirs = (options.attackerEnv ?? []).includes(variable) || options.attackerDirs.some((dir) => variable.includes(dir));
      if (unsafeName(name) && theirs) violations.push(`pid ${pid}: ${exec.path} ran as root with ${variable.slice(0, 120)}`);
    }
  };

  for (const line of lines) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const rest = m[2]!;
    const state = stateOf(pid);
    const child = childResult.exec(rest) ?? resumedChild.exec(rest);
    if (child && !states.has(Number(child[1]))) states.set(Number(child[1]), { ...state });
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      if (resumed[1] === 'execve' || resumed[1] === 'execveat') {
        const exec = pendingExec.get(pid);
        pendingExec.delete(pid);
        if (exec && /\)\s+=\s+0\b/.test(resumed[2]!)) applyExec(pid, state, exec);
      }
      continue;
    }
    const call = /^(\w+)\((.*)$/.exec(rest);
    if (!call) continue;
    const [, name, args] = call as unknown as [string, string, string];
    if (name === 'setuid' || name === 'setreuid' || name === 'setresuid') {
      const ids = (/^([^)<]*)/.exec(args)?.[1] ?? '').split(',').map((s) => Number(s.trim()));
      const effective = name === 'setuid' ? ids[0] : ids[1];
      const failed = /\)\s+=\s+-1\b/.test(args);
      if (!failed && effective !== undefined && !Number.isNaN(effective) && effective !== -1) state.euid = effective;
      continue;
    }
    if (!TOUCHING.has(name)) continue;
    const { plain, arrays } = scanArguments(args);
    const isExec = name === 'execve' || name === 'execveat';
    // mount(2): a source that is no path ("none", a name) and the type are words, not files.
    const paths = isExec ? plain.slice(0, 1) : name === 'mount' ? plain.slice(0, 2).filter((p, i) => i === 1 || p.startsWith('/')) : plain;
    if (privileged(state)) {
      // Relative to the current directory, which may be the attacker's: a plain call, or an *at call on AT_FDCWD.
      const cwdRelative = !name.endsWith('at') && !name.endsWith('at2') ? true : /^\s*AT_FDCWD\b/.test(args);
      for (const path of paths) {
        if (mine(path)) violations.push(`pid ${pid} (${state.image}, euid 0): ${name} ${path}`);
        else if (path !== '' && !path.startsWith('/') && cwdRelative) violations.push(`pid ${pid} (${state.image}, euid 0): ${name} of the relative path ${path}`);
      }
    }
    if (isExec && plain[0] !== undefined) {
      const exec = { path: plain[0], env: arrays[1] ?? [] };
      if (/<unfinished \.\.\.>\s*$/.test(args)) pendingExec.set(pid, exec);
      else if (/\)\s+=\s+0\b/.test(args)) applyExec(pid, state, exec);
    }
  }
  return { violations, rootExecs, lines: lines.length };
}

// ---- code integrity ------------------------------------------------------------

/** Paths in the chain from / to PATH, and everything under each of ROOTS, that the user could change. */
export function writableByOthers(paths: readonly string[], roots: readonly string[]): string[] {
  const bad: string[] = [];
  const check = (path: string, sticky = false) => {
    const st = lstatSync(path);
    if (st.isSymbolicLink() && st.uid === 0) return;
    // A sticky directory (/var/tmp, /tmp) on the way is fine: no one but root can rename or remove root's entry in it.
    if (sticky && st.isDirectory() && st.uid === 0 && (st.mode & 0o1000) !== 0) return;
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) bad.push(`${path} (uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)})`);
  };
  for (const path of [...new Set([...paths, ...paths.map((p) => realpathSync(p))])]) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 0; i <= parts.length; i += 1) check(`/${parts.slice(0, i).join('/')}`, i < parts.length);
  }
  const walk = (dir: string) => {
    check(dir);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else check(path);
    }
  };
  for (const root of roots) if (existsSync(root)) walk(root);
  return bad;
}

/** What runs as root when the user calls netns-run: the script, the built code, its dependencies, the runtime. */
export function privilegedCode(): { paths: string[]; roots: string[] } {
  return { paths: [BIN, NODE, join(PACKAGE, 'package.json')], roots: [join(PACKAGE, 'dist', 'src'), join(PACKAGE, 'node_modules'), join(PACKAGE, 'bin')] };
}

/** A run as root with sh, for setting up what only root can (never with the attacker's environment). */
export function asRoot(command: string): string {
  return sh(command);
}

// ---- the suite: counted attacks, one per mode, cleanup whatever happens ------

export interface AttackSuite {
  /** The attacker; throws why it could not be made. */
  attacker(): Attacker;
  /** One attack, counted in the summary line. */
  attack(title: string, body: (attacker: Attacker) => Promise<void>): void;
  /** The same attack once per mode, each counted. */
  eachMode(title: string, body: (mode: Mode, attacker: Attacker) => Promise<void>, modes?: readonly Mode[]): void;
  /** A check that the instruments see what they should: not an attack, not counted. */
  check(title: string, body: (attacker: Attacker) => Promise<void>): void;
  /** A fresh namespace name, removed (with everything made for it) when the file ends. */
  fresh(tag: string): string;
}

export interface SuiteHooks {
  /** After the attacker exists (make shared namespaces here). */
  readonly setup?: (attacker: Attacker) => Promise<void> | void;
  /** Before the attacker goes (remove what setup made). */
  readonly teardown?: () => void;
  /** Removes everything made for a name (kernel.ts removeEverything). */
  readonly remove: (name: string) => void;
  readonly uniqueName: (tag: string) => string;
  readonly skipReason: (reason: string) => void;
}

export function attackSuite(file: string, uvuTest: import('uvu').Test, hooks: SuiteHooks): AttackSuite {
  // An attack whose audit cannot run (no strace) ends as a skip, counted as one.
  const test = skippable(uvuTest);
  const missing = attackMissing();
  if (missing) hooks.skipReason(`security suite ${file}: ${missing}`);
  let made: Attacker | undefined;
  let setupError: unknown;
  const names: string[] = [];
  const tally = { tried: 0, through: 0, broken: 0 };

  test.before(async () => {
    if (missing) return;
    try {
      made = setUpAttacker();
      await hooks.setup?.(made);
    } catch (error) {
      setupError = error;
    }
  });

  test.after(() => {
    for (const name of names) hooks.remove(name);
    try {
      hooks.teardown?.();
    } finally {
      teardownAttacker();
    }
    if (missing) return;
    const broken = tally.broken ? `, ${tally.broken} could not be carried out` : '';
    process.stdout.write(`\n# security (${file}): ${tally.tried} attacks tried, ${tally.through} got through${broken}\n`);
  });

  const attacker = (): Attacker => {
    if (setupError !== undefined) throw setupError;
    if (made === undefined) throw new Error('the attacker was not made');
    return made;
  };

  const counted = (title: string, body: (a: Attacker) => Promise<void>) => {
    if (missing) return test.skip(title);
    test(title, async () => {
      tally.tried += 1;
      try {
        if (made) resetHome(made);
        await body(attacker());
      } catch (error) {
        if ((error as Error | undefined)?.name === 'Assertion') tally.through += 1;
        else if (!isSkip(error)) tally.broken += 1;
        throw error;
      }
    });
  };

  return {
    attacker,
    attack: counted,
    eachMode(title, body, modes = MODES) {
      for (const mode of modes) {
        counted(`${title} [${mode}]`, async (a) => {
          enterMode(mode, a);
          try {
            await body(mode, a);
          } finally {
            leaveMode(mode);
          }
        });
      }
    },
    check(title, body) {
      if (missing) return test.skip(title);
      test(title, async () => body(attacker()));
    },
    fresh(tag) {
      const name = hooks.uniqueName(tag);
      names.push(name);
      return name;
    },
  };
}

// ---- the policy ----------------------------------------------------------------

const POLICY = '/etc/netns-run.conf';

function writePolicy(text: string): void {
  const draft = `${POLICY}.nrt-${process.pid}`;
  writeFileSync(draft, text, { mode: 0o644 });
  chmodSync(draft, 0o644);
  renameSync(draft, POLICY);
}

/**
 * Takes the attacker's `allow USER * create` (createTestUser's grant) out of
 * the policy until the returned function puts it back (idempotent). Only
 * that one line changes: other tests' lines stay as they are.
 */
export function suspendGrant(attacker: Attacker): () => void {
  const tagged = `allow ${attacker.user.name} * create # nrt-${process.pid}`;
  const lines = readFileSync(POLICY, 'utf8').split('\n');
  if (!lines.includes(tagged)) throw new Error(`the attacker's grant is not in ${POLICY}`);
  writePolicy(lines.filter((line) => line !== tagged).join('\n'));
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    const now = existsSync(POLICY) ? readFileSync(POLICY, 'utf8') : '';
    if (!now.split('\n').includes(tagged)) writePolicy(`${now.replace(/\n?$/, '\n')}${tagged}\n`.replace(/^\n/, ''));
  };
}

/** Root's own environment for its calls, without the slow NODE_EXTRA_CA_CERTS. */
export const ROOT_ENV: NodeJS.ProcessEnv = (() => {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
})();

/** Makes, as root, the namespace that every attack of a file shares. */
export async function makeShared(name: string): Promise<void> {
  const made = await netnsRun([name, '--', 'true'], { env: ROOT_ENV });
  if (made.code !== 0) throw new Error(`root could not make ${name}: ${made.stderr}`);
}

/** A root-only 0700 script in a directory everyone may search (the setuid copy's 0711 directory); returns its path. */
export function plantRootOnlyScript(a: Attacker): string {
  const script = join(a.suidNode, '..', 'root-only.sh');
  writeFileSync(script, `#!/bin/sh\necho "$(id -u) $(id -ru) ran:reachable-root-only" >> ${a.markers}/ran.log\n`, { mode: 0o700 });
  return script;
}
