// systemd as PID 1 of a new PID namespace (test/support/systemd-pid1.sh),
// booted once per test file: units, user units, polkit and pkexec for real.
// It has its own mount, network, cgroup, UTS and IPC namespaces and
// throwaway /etc, /home, /run, /tmp: what the tests make inside (namespaces,
// users, sudo rules, policy lines, units) is gone when it powers off, and
// nothing of the host's is touched except its work directory and cgroup,
// which shutdown() removes. An exit hook kills it if a test file dies first.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NODE, ROOT, type Result } from './netns-run.js';

const SCRIPT = join(ROOT, 'test', 'support', 'systemd-pid1.sh');
const SYSTEMD = '/usr/lib/systemd/systemd';
/** What commands inside start with: systemd's own PATH, none of the test runner's variables. */
export const INSIDE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

/** Why these tests cannot run here, or undefined when they can. */
export function systemdMissing(): string | undefined {
  if (process.geteuid?.() !== 0) return 'not root';
  if (!existsSync(SYSTEMD)) return `${SYSTEMD} is missing (apt-get install systemd)`;
  for (const tool of ['unshare', 'nsenter', 'ip', 'findmnt', 'runuser', 'useradd', 'sudo', 'gcc']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return undefined;
}

export interface Booted {
  /** systemd's PID as the host sees it. */
  readonly pid: number;
  /** The work directory on the host; inside it is /mnt/work. */
  readonly work: string;
  /** Milliseconds from start to `systemctl is-system-running` saying running or degraded. */
  readonly bootMs: number;
  /** Runs FILE ARGS inside (all of systemd's namespaces), as root unless options.user; resolves with what it printed. */
  run(file: string, args: readonly string[], options?: InsideOptions): Promise<Result>;
  /** A shell command inside as root; throws with its stderr when it fails. */
  sh(command: string, options?: InsideOptions): Promise<string>;
  /** Writes a file inside (a unit, a rule), through the host's side of its /etc or /mnt/work; PATH must be under one of them. Units need a daemon-reload after. */
  write(path: string, text: string, mode?: number): void;
  /** systemctl show -p PROPERTY --value UNIT. */
  show(unit: string, property: string): Promise<string>;
  /** Polls UNIT's ActiveState until it is STATE; throws with the unit's journal after timeoutMs. */
  waitFor(unit: string, state: string, timeoutMs?: number): Promise<void>;
  /** The unit's journal, message text only. */
  journal(unit: string): Promise<string>;
  /** Powers it off (kill -9 if that takes over 10 s) and removes its cgroup and work directory. Idempotent. */
  shutdown(): Promise<void>;
}

export interface InsideOptions {
  /** Run as this user (runuser -u), with a small clean environment. */
  readonly user?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  readonly timeoutMs?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function collect(file: string, args: readonly string[], input: string, timeoutMs: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: INSIDE_ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    // A command that does not read its input ends before we finish writing it.
    child.stdin.on('error', () => {});
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** Removes a cgroup directory and those systemd made below it, deepest first; retries while the last processes die. */
async function removeCgroup(path: string): Promise<void> {
  for (let attempt = 0; attempt < 50 && existsSync(path); attempt += 1) {
    spawnSync('find', [path, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { stdio: 'ignore' });
    if (existsSync(path)) await sleep(100);
  }
}

/** Boots systemd; the caller must call shutdown() (an after-hook), also when a test fails. */
export async function bootSystemd(): Promise<Booted> {
  const started = Date.now();
  const work = mkdtempSync('/tmp/nrd-sd-');
  chmodSync(work, 0o755);
  let child: ChildProcess | undefined;
  let pid = 0;
  let cgroup = '';
  let down = false;
  const kill = () => {
    if (pid > 0) spawnSync('kill', ['-9', String(pid)], { stdio: 'ignore' });
  };
  // The test file is ending without shutdown() (an uncaught error): kill it and take away what is left, synchronously.
  const lastResort = () => {
    kill();
    if (cgroup) spawnSync('sh', ['-c', 'for i in $(seq 50); do [ -d "$1" ] || exit 0; find "$1" -depth -type d -exec rmdir {} \\; 2>/dev/null; sleep 0.1; done', 'sh', cgroup], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  };
  process.on('exit', lastResort);
  // Killed by the runner's timeout or a Ctrl-C: Node would end without its exit event.
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  const onSignal = (signal: NodeJS.Signals) => {
    lastResort();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
  };
  for (const signal of signals) process.on(signal, onSignal);

  const shutdown = async (): Promise<void> => {
    if (down) return;
    down = true;
    if (pid > 0 && child?.exitCode === null) {
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      spawnSync('nsenter', ['-t', String(pid), '-a', 'systemctl', '--no-block', 'poweroff'], { stdio: 'ignore', env: INSIDE_ENV, timeout: 5000 });
      const timer = setTimeout(kill, 10_000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', lastResort);
    for (const signal of signals) process.off(signal, onSignal);
    if (cgroup) await removeCgroup(cgroup);
    rmSync(work, { recursive: true, force: true });
  };

  try {
    const env = { ...INSIDE_ENV, ...(process.env.NRD_NO_OVERLAY ? { NRD_NO_OVERLAY: '1' } : {}) };
    child = spawn(SCRIPT, [work, ROOT, NODE], { stdio: ['ignore', 'ignore', 'pipe'], env, detached: true });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(work, 'pid1'))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`systemd-pid1.sh ended before systemd started: ${stderr.trim()}`);
      await sleep(20);
    }
    pid = Number(readFileSync(join(work, 'pid1'), 'utf8'));
    cgroup = readFileSync(join(work, 'cgroup'), 'utf8').trim();
    let state = '';
    while (!['running', 'degraded'].includes(state)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`systemd did not come up (state ${state || 'unknown'}): ${stderr.trim()}`);
      await sleep(100);
      state = spawnSync('nsenter', ['-t', String(pid), '-a', 'systemctl', 'is-system-running'], { encoding: 'utf8', env: INSIDE_ENV }).stdout?.trim() ?? '';
    }
  } catch (error) {
    await shutdown();
    throw error;
  }
  const bootMs = Date.now() - started;

  const run = (file: string, args: readonly string[], options: InsideOptions = {}): Promise<Result> => {
    const env = Object.entries({ ...INSIDE_ENV, ...(options.env ?? {}) }).map(([k, v]) => `${k}=${v}`);
    const as = options.user !== undefined ? ['runuser', '-u', options.user, '--'] : [];
    // nsenter -a: every namespace of PID 1, its root and its working directory (/).
    return collect('nsenter', ['-t', String(pid), '-a', ...as, 'env', '-i', ...env, file, ...args], options.input ?? '', options.timeoutMs ?? 60_000);
  };
  const sh = async (command: string, options: InsideOptions = {}): Promise<string> => {
    const result = await run('sh', ['-c', command], options);
    if (result.code !== 0) throw new Error(`inside: sh -c ${JSON.stringify(command)} failed (${result.code ?? result.signal}): ${result.stderr.trim()}`);
    return result.stdout;
  };
  const hostPath = (path: string): string => {
    if (path.startsWith('/etc/')) return join(work, 'etc', path.slice('/etc/'.length));
    if (path.startsWith('/mnt/work/')) return join(work, path.slice('/mnt/work/'.length));
    throw new Error(`write(): ${path} is neither under /etc nor /mnt/work`);
  };
  const write = (path: string, text: string, mode = 0o644): void => {
    const file = hostPath(path);
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, text, { mode });
    chmodSync(file, mode);
  };
  const show = async (unit: string, property: string): Promise<string> => (await sh(`systemctl show -p ${property} --value ${unit}`)).trim();
  const journal = async (unit: string): Promise<string> => {
    const result = await run('journalctl', ['--no-pager', '-o', 'cat', '-u', unit]);
    return result.stdout;
  };
  return {
    pid,
    work,
    bootMs,
    run,
    sh,
    write,
    show,
    journal,
    async waitFor(unit, state, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let now = '';
      while ((now = await show(unit, 'ActiveState')) !== state) {
        if (Date.now() > deadline) throw new Error(`${unit} is ${now}, not ${state}, after ${timeoutMs} ms; its journal:\n${await journal(unit)}`);
        await sleep(50);
      }
    },
    shutdown,
  };
}
