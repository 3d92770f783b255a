// The mutants `npm run mutate` applies (scripts/mutate.mjs): one per defence
// SECURITY.md names, each a defence removed or weakened in src/, with the
// compiled test files (under dist/test/) that must then fail.
//   id      short name, printed in the report
//   defence what SECURITY.md calls it
//   file    the source file, from the repository's root
//   search  text that must occur exactly once in file (else the run errs:
//           update it here when src/ moves, never let it pass silently)
//   replace what it becomes (it must still build: tsc is strict about unused
//           names, so a check is made always true rather than deleted)
//   tests   test files that must kill it (at least one must fail)
//   node    'execve': run the tests with netns-run started by a Node that
//           has process.execve (from NETNS_RUN_TEST_NODES), as CI does
//
// Adding one (each new defence in SECURITY.md gets at least one, e.g. those
// of network.conf: veth, NAT, sysctl, nftables, hooks, forwards): pick the
// smallest change in src/ that removes or weakens the defence and still
// builds; make `search` exact and unique; name in `tests` the test files
// that prove the defence (compiled names, under dist/test/); then run
// `npm run mutate -- ID` (as root; NETNS_RUN_TEST_NODES for execve ones).
// It must say "killed". If it survives, the test is missing: write one that
// fails when the defence is gone, never weaken the mutant to fit the tests.
// A defence no deterministic test can reach (a second check of the same
// thing, against a race) gets no mutant; say so in a comment instead.
export default [
  {
    id: 'helper-root-only',
    defence: 'Helpers from fixed directories: only if root alone can change them',
    file: 'src/tools.ts',
    search: String.raw`if (!rootOnlyWritable(st) || !rootOnlyWritable(statSync(dirname(path)))) {`,
    replace: String.raw`if (!rootOnlyWritable(st) && !rootOnlyWritable(statSync(dirname(path)))) {`,
    tests: ['security/trust.test.js'],
  },
  {
    id: 'helper-trusted-path',
    defence: "Helpers from fixed directories: never from the caller's PATH",
    file: 'src/tools.ts',
    search: String.raw`for (const dir of TRUSTED_PATH.split(':')) {`,
    replace: String.raw`for (const dir of (process.env.PATH ?? TRUSTED_PATH).split(':')) {`,
    tests: ['unit/tools.test.js'],
  },
  {
    id: 'state-dir-owner-or-mode',
    defence: 'Locking: /run/netns-NAME must be owned by root and not writable by others',
    file: 'src/ensure/lock.ts',
    search: String.raw`if (!rootOnlyWritable(held)) {`,
    replace: String.raw`if (!rootOnlyWritable(held) && held.uid !== 0) {`,
    tests: ['security/trust.test.js'],
  },
  {
    id: 'stdio-blocking',
    defence: 'No stray descriptors: the standard descriptors go back to blocking before the target',
    file: 'src/exec/stdio.ts',
    search: String.raw`for (const name of this.made) ((process[name] as unknown) as WithHandle)._handle?.setBlocking?.(true);`,
    replace: 'for (const name of this.made) void ((process[name] as unknown) as WithHandle);',
    tests: ['kernel/exec.test.js'],
    node: 'execve',
  },
  {
    id: 'policy-file-trust',
    defence: 'Policy: root-owned like sudoers',
    file: 'src/policy.ts',
    search: 'readTrusted(file, { readers: \'any\', maxBytes: MAX_POLICY_BYTES, directories: [dirname(file)] })',
    replace: '((fs) => (void readTrusted, void dirname, void MAX_POLICY_BYTES, fs.existsSync(file) ? fs.readFileSync(file) : undefined))(process.getBuiltinModule(\'node:fs\'))',
    tests: ['unit/policy.test.js', 'security/policy.test.js'],
  },
  {
    id: 'policy-directory-trust',
    defence: 'Policy: the directory it is in root-owned too',
    file: 'src/policy.ts',
    search: String.raw`directories: [dirname(file)] });`,
    replace: String.raw`directories: [dirname(file)].filter(() => false) });`,
    tests: ['security/policy.test.js'],
  },
  {
    id: 'policy-no-symlink',
    defence: 'Policy: a real file, not a symbolic link',
    file: 'src/trust.ts',
    search: String.raw`fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);`,
    replace: String.raw`fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);`,
    tests: ['security/policy.test.js', 'unit/trust.test.js'],
  },
  {
    id: 'resolver-directory-trust',
    defence: 'Trust rules for /etc/netns/NAME: the directories',
    file: 'src/ensure/resolver.ts',
    search: String.raw`directories: [dirname(directory), directory] });`,
    replace: String.raw`directories: [directory].filter(() => false) });`,
    tests: ['security/policy.test.js'],
  },
  {
    id: 'resolver-file-trust',
    defence: 'Trust rules for /etc/netns/NAME: each file owned by root, writable by root alone',
    file: 'src/trust.ts',
    search: String.raw`if (!rootOnlyWritable(st)) return 'must be owned`,
    replace: String.raw`if (false && !rootOnlyWritable(st)) return 'must be owned`,
    tests: ['security/policy.test.js', 'unit/trust.test.js'],
  },
  {
    id: 'resolver-no-symlink',
    defence: 'Trust rules for /etc/netns/NAME: opened with O_NOFOLLOW',
    file: 'src/ensure/resolver.ts',
    search: 'return readTrustedFile(path, { readers: \'everyone\'',
    replace: 'return readTrustedFile((() => { try { return process.getBuiltinModule(\'node:fs\').realpathSync(path); } catch { return path; } })(), { readers: \'everyone\'',
    tests: ['security/policy.test.js'],
  },
  {
    id: 'resolver-readable',
    defence: 'Trust rules for /etc/netns/NAME: readable by everyone',
    file: 'src/trust.ts',
    search: String.raw`if (rule.readers === 'everyone' && (mode & 0o004) === 0) return`,
    replace: String.raw`if (rule.readers === 'everyone' && (mode & 0o004) === 0 && false) return`,
    tests: ['security/policy.test.js', 'unit/trust.test.js'],
  },
  {
    id: 'code-cache-trust',
    defence: "The code cache: a directory and file root alone can change",
    file: 'src/code-cache.ts',
    search: String.raw`if (fileProblem(st, { readers: 'any', maxBytes: MAX_CACHE_BYTES }) !== undefined) return undefined;`,
    replace: String.raw`if (fileProblem(st, { readers: 'any', maxBytes: MAX_CACHE_BYTES }) === 'never') return undefined;`,
    tests: ['unit/code-cache.test.js'],
  },
  {
    id: 'code-cache-directory-chain',
    defence: 'The code cache: its directory and every one above it root\'s alone, no symlink',
    file: 'src/code-cache.ts',
    search: String.raw`if (lstatSync(dir, { throwIfNoEntry: false }) !== undefined) return trustedDirectory(dir) ? dir : undefined;`,
    replace: String.raw`if (lstatSync(dir, { throwIfNoEntry: false }) !== undefined) return dir;`,
    tests: ['unit/code-cache.test.js'],
  },
  {
    id: 'code-cache-no-symlink',
    defence: 'The code cache: the file opened without following a symlink',
    file: 'src/code-cache.ts',
    search: String.raw`fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);`,
    replace: String.raw`fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NONBLOCK);`,
    tests: ['unit/code-cache.test.js'],
  },
  {
    id: 'code-cache-root-only',
    defence: 'The code cache: used only by a process that is root in every id (never setuid)',
    file: 'src/code-cache.ts',
    search: String.raw`return ids.uid === 0 && ids.euid === 0 && ids.gid === ids.egid;`,
    replace: 'return ids.euid === 0;',
    tests: ['unit/code-cache.test.js'],
  },
  {
    id: 'environment-split',
    defence: 'Environment split on the way in: LD_* and the unsafe list never reach root helpers',
    file: 'src/environment.ts',
    search: String.raw`return name.startsWith('LD_') || name.startsWith('LC_') || UNSAFE_FOR_ROOT.has(name);`,
    replace: String.raw`return name.startsWith('LC_') || (UNSAFE_FOR_ROOT.has(name) && name === 'TZ');`,
    tests: ['unit/environment.test.js'],
  },
  {
    id: 'setuid-reads-no-variable',
    defence: 'Caller from unforgeable facts: under setuid no variable is read',
    file: 'src/caller.ts',
    search: String.raw`if (ids.uid !== 0) return { elevation: 'setuid', uid: ids.uid, gid: ids.gid, groups: ids.groups };`,
    replace: String.raw`if (ids.uid !== 0 && env.SUDO_UID === undefined) return { elevation: 'setuid', uid: ids.uid, gid: ids.gid, groups: ids.groups };`,
    tests: ['unit/caller.test.js'],
  },
  {
    id: 'setuid-coverage-guard',
    defence: 'Setuid guard: NODE_V8_COVERAGE stopped before any code runs',
    file: 'src/setuid-guard.ts',
    search: String.raw`if (process.getuid!() === process.geteuid!() || process.env.NODE_V8_COVERAGE === undefined) return;`,
    replace: 'return;',
    tests: ['security/attacks.test.js'],
  },
  {
    id: 'name-pattern',
    defence: 'Names cannot be paths',
    file: 'src/name.ts',
    search: String.raw`/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/`,
    replace: String.raw`/^.{1,64}$/`,
    tests: ['unit/name.test.js'],
  },
  {
    id: 'checks-as-caller',
    defence: "Checks as the caller: the caller's ids, never root's",
    file: 'src/access.ts',
    search: String.raw`if (caller.uid === 0 || euid !== 0) return fn();`,
    replace: 'if (caller.uid >= 0 || euid !== 0) return fn();',
    tests: ['unit/access.test.js', 'kernel/caller.test.js'],
  },
  {
    id: 'command-executable',
    defence: 'Checks as the caller: the command must be executable by the caller',
    file: 'src/access.ts',
    search: String.raw`if (st.isFile() && mayExecute(st, caller)) return candidate;`,
    replace: 'if (st.isFile()) return candidate;',
    tests: ['unit/access.test.js', 'kernel/caller.test.js'],
  },
  {
    id: 'capabilities-dropped',
    defence: 'Drop before the caller\'s code: setpriv leaves no capabilities',
    file: 'src/exec/plan.ts',
    search: String.raw`caller.uid === 0 ? [] : ['--inh-caps=-all', '--ambient-caps=-all']`,
    replace: String.raw`[] as string[]`,
    tests: ['unit/plan.test.js'],
  },
  {
    id: 'down-root-only',
    defence: 'Root-only actions: --down',
    file: 'src/commands/down.ts',
    search: 'if (caller.uid !== 0) throw new NetnsRunError(`only root may tear',
    replace: 'if (false) throw new NetnsRunError(`only root may tear',
    tests: ['security/attacks.test.js'],
  },
  {
    id: 'user-root-only',
    defence: 'Root-only actions: --user',
    file: 'src/commands/run.ts',
    search: 'if (request.user !== undefined && caller.uid !== 0) {',
    replace: 'if (false) {',
    tests: ['security/attacks.test.js'],
  },
  {
    id: 'one-line-errors',
    defence: 'One-line errors: newlines and control characters replaced',
    file: 'src/errors.ts',
    search: String.raw`return text.replace(/[\r\n\u2028\u2029]+/g, ' ')`,
    replace: 'return text',
    tests: ['unit/errors.test.js'],
  },
  {
    id: 'key-file-root-only',
    defence: 'WireGuard files: readable by root alone',
    file: 'src/network/config.ts',
    search: String.raw`readTrusted(file, { readers: 'root',`,
    replace: String.raw`readTrusted(file, { readers: 'any',`,
    tests: ['kernel/wg-config.test.js'],
  },
  {
    id: 'config-directory-trust',
    defence: 'WireGuard files: /etc/netns-run and /etc/netns-run/NAME writable by root alone',
    file: 'src/network/config.ts',
    search: 'if (checkDirectories([CONFIG_DIR, dir]) === \'missing\') return [];',
    replace: 'if ((void checkDirectories, !process.getBuiltinModule(\'node:fs\').existsSync(dir))) return [];',
    tests: ['kernel/wg-config.test.js'],
  },
  {
    id: 'key-file-owner',
    defence: 'WireGuard files: owned by root (the one rule of trust.ts, for files only root may read)',
    file: 'src/trust.ts',
    search: String.raw`if (!rootOnlyWritable(st)) return 'must be owned`,
    replace: String.raw`if (!rootOnlyWritable(rule.readers === 'root' ? { uid: 0, mode: st.mode } : st)) return 'must be owned`,
    tests: ['kernel/wg-config.test.js', 'unit/trust.test.js'],
  },
  {
    id: 'config-root-directory-trust',
    defence: 'WireGuard files: the directory chain, /etc/netns-run itself writable by root alone',
    file: 'src/network/config.ts',
    search: 'if (checkDirectories([CONFIG_DIR, dir]) === \'missing\') return [];',
    replace: 'if (checkDirectories([dir]) === \'missing\') return [];',
    tests: ['kernel/wg-config.test.js'],
  },
  // Not mutated: readTrusted's own check of the same directories in
  // loadNetworkConfig, a second look against a swap between listing and
  // reading, which no deterministic test can tell from the first.
  {
    id: 'wg-private-dir',
    defence: "WireGuard state: sockets and records in a directory root alone may enter",
    file: 'src/trust.ts',
    search: String.raw`if (directoryProblem(st) !== undefined || (st.mode & 0o077) !== 0) throw`,
    replace: String.raw`if (!st.isDirectory()) throw`,
    tests: ['unit/trust.test.js'],
  },
  {
    id: 'secret-hidden',
    defence: 'A key never in a log or --json output: a Secret prints as (secret)',
    file: 'src/network/secret.ts',
    search: 'toJSON(): string {\n    return HIDDEN;',
    replace: 'toJSON(): string {\n    return this.#value;',
    tests: ['unit/wg-quick.test.js'],
  },
  {
    id: 'key-not-in-errors',
    defence: 'A key never in an error message: file:line and the key\'s name only',
    file: 'src/network/wg-quick.ts',
    search: String.raw`if (!isKey(value)) r.fail(n, 'PrivateKey is not a WireGuard key`,
    replace: String.raw`if (!isKey(value)) r.fail(n, 'PrivateKey ' + value + ' is not a WireGuard key`,
    tests: ['unit/wg-quick.test.js', 'kernel/wg-config.test.js'],
  },
  {
    id: 'dump-key-dropped',
    defence: "wg show dump: the private key dropped as it is read",
    file: 'src/network/wireguard.ts',
    search: String.raw`const own = (head ?? '').split('\t').slice(1);`,
    replace: String.raw`const own = (head ?? '').split('\t').slice(0);`,
    tests: ['unit/wireguard.test.js'],
  },
  {
    id: 'hooks-refused',
    defence: "WireGuard files run nothing: wg-quick's PreUp/PostUp/PreDown/PostDown refused",
    file: 'src/network/wg-quick.ts',
    search: 'if (HOOKS.has(key)) {',
    replace: 'if (HOOKS.has(key)) break; {',
    tests: ['unit/wg-quick.test.js'],
  },
  {
    id: 'keys-on-stdin',
    defence: 'A private key never on a command line',
    file: 'src/network/wireguard.ts',
    search: String.raw`const outcome = tryHelper(setconf.file, setconf.args, { input: renderSetconf(spec) });`,
    replace: String.raw`const outcome = tryHelper(setconf.file, [...setconf.args, renderSetconf(spec)], { input: renderSetconf(spec) });`,
    tests: ['kernel/wireguard.test.js'],
  },
  {
    id: 'limits-taken-over',
    defence: 'Inherited process attributes: resource limits',
    file: 'src/inherited.ts',
    search: 'const changes = limitChanges(parseLimits(readFileSync(`/proc/${pid}/limits`, \'utf8\')));',
    replace: 'const changes = limitChanges(new Map()); void parseLimits;',
    tests: ['security/process.test.js'],
  },
  {
    id: 'node-debugging-refused',
    defence: 'Inherited process attributes: NODE_DEBUG under a setuid start',
    file: 'src/inherited.ts',
    search: String.raw`const set = NODE_DEBUGGING.filter((name) => (env[name] ?? '') !== '');`,
    replace: String.raw`const set = NODE_DEBUGGING.filter(() => env === undefined);`,
    tests: ['unit/inherited.test.js', 'security/attacks.test.js'],
  },
  {
    id: 'mount-ns-flat',
    defence: 'Kept mount namespaces do not carry the namespaces of others',
    file: 'src/ensure/mntns.ts',
    search: String.raw`for dir in /run/netns "$root"; do`,
    replace: String.raw`for dir in; do`,
    tests: ['kernel/scale.test.js'],
  },
];
