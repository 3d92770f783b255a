// The conformance suite's fixtures (test/conformance/, issue #3: netns-run
// must look, from outside, exactly like the command it runs). A workspace is
// a temporary directory with the compiled probe (test/conformance/probe.c),
// a bin/ whose `netns-run` is bin/netns-run and whose `node` is the Node
// under test, and room for logs and fifos; PATH starting with that bin/ makes
// a shell typing `netns-run` run it the way an installed one runs. The probe
// appends what it received to a log, which ProbeLog reads back. Everything
// here cleans up after itself: the workspace (cleanup()), the namespace
// (the suite's after hook), probes left running (stopAll()).
import { test } from 'uvu';
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { BIN, NODE, ROOT, isRoot, netnsRun, removeNamespace, skipReason, uniqueName } from './netns-run.js';
import { TmuxServer, tmuxAvailable } from './tmux.js';

export const PROBE_SOURCE = join(ROOT, 'test', 'conformance', 'probe.c');

/** The signals issue #3 lists: sent to netns-run, each must reach the target once. */
export const FORWARDED = ['TERM', 'HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'WINCH', 'CONT', 'ALRM'] as const;
export type Counted = (typeof FORWARDED)[number];

/** Which path the Node under test takes today (execve on Node 22.15+, spawn on 20): printed, never used to excuse a failure. */
export function describeNode(): string {
  const version = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return `${version} (${NODE})`;
}

/** Why the conformance suite cannot run here (it says so and skips), or undefined. */
export function suiteSkip(): string | undefined {
  return isRoot ? undefined : 'not root: netns-run needs root to make namespaces';
}

/** Tools the suite needs; a missing one fails the tests (CI installs them), with the package to install. */
export function missingTools(tools: readonly ('gcc' | 'tmux' | 'zsh' | 'bash' | 'less')[]): string | undefined {
  const packages: Record<string, string> = { gcc: 'gcc libc6-dev', tmux: 'tmux', zsh: 'zsh', bash: 'bash', less: 'less' };
  const missing = tools.filter((tool) => (tool === 'tmux' ? !tmuxAvailable() : spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0));
  if (missing.length === 0) return undefined;
  return `${missing.join(', ')} missing: apt-get install -y --no-install-recommends ${missing.map((t) => packages[t]).join(' ')}`;
}

export interface Workspace {
  readonly dir: string;
  readonly probe: string;
  /** Holds `netns-run` (-> bin/netns-run) and `node` (-> the Node under test). */
  readonly bin: string;
  /** The test's environment with PATH starting at bin/: `netns-run` and `node` are the ones under test. */
  readonly env: NodeJS.ProcessEnv;
  /** A fresh path in the workspace (nothing made there). */
  path(name: string): string;
  /** A fresh fifo in the workspace. */
  fifo(name: string): string;
  cleanup(): void;
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Compiles the probe into a new temporary directory and links netns-run and node beside it. */
export function makeWorkspace(): Workspace {
  const missing = missingTools(['gcc']);
  if (missing) throw new Error(`the conformance probe is C: ${missing}`);
  const dir = mkdtempSync('/tmp/nrt-conf-');
  let made = 0;
  try {
    chmodSync(dir, 0o755);
    const probe = join(dir, 'probe');
    const compiled = spawnSync('gcc', ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-o', probe, PROBE_SOURCE], { encoding: 'utf8' });
    if (compiled.status !== 0) throw new Error(`gcc could not compile ${PROBE_SOURCE}: ${compiled.stderr}`);
    const bin = join(dir, 'bin');
    mkdirSync(bin, { mode: 0o755 });
    symlinkSync(BIN, join(bin, 'netns-run'));
    symlinkSync(NODE, join(bin, 'node'));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${dirname(NODE)}:${SYSTEM_PATH}` };
    // Costs every Node start ~90 ms, and is no part of what a user's netns-run sees.
    delete env.NODE_EXTRA_CA_CERTS;
    return {
      dir,
      probe,
      bin,
      env,
      path: (name) => join(dir, `${name}-${(made += 1)}`),
      fifo(name) {
        const path = join(dir, `${name}-${(made += 1)}.fifo`);
        spawnSync('mkfifo', ['-m', '0666', path]);
        if (!existsSync(path)) throw new Error(`mkfifo ${path} failed`);
        return path;
      },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** What the probe wrote to its log: "key value" lines, appended as things happen. */
export class ProbeLog {
  constructor(readonly path: string) {}

  text(): string {
    try {
      return readFileSync(this.path, 'utf8');
    } catch {
      return '';
    }
  }

  lines(): string[] {
    return this.text().split('\n').filter(Boolean);
  }

  /** The value of the first line KEY ...; undefined when there is none. */
  value(key: string): string | undefined {
    const line = this.lines().find((l) => l === key || l.startsWith(`${key} `));
    return line === undefined ? undefined : line.slice(key.length + 1);
  }

  values(key: string): string[] {
    return this.lines().filter((l) => l.startsWith(`${key} `)).map((l) => l.slice(key.length + 1));
  }

  number(key: string): number {
    const value = this.value(key);
    if (value === undefined || !/^-?\d+$/.test(value)) throw new Error(`the probe's log has no number for ${key}:\n${this.text()}`);
    return Number(value);
  }

  get pid(): number {
    return this.number('pid');
  }

  /** The signals counted so far (the last "counts" line); all zero before the first. */
  counts(): Record<Counted, number> {
    const out = Object.fromEntries(FORWARDED.map((s) => [s, 0])) as Record<Counted, number>;
    const last = this.values('counts').pop();
    for (const pair of last?.split(' ') ?? []) {
      const [name, n] = pair.split('=');
      if (name && n) out[name as Counted] = Number(n);
    }
    return out;
  }

  /** Descriptor -> what it points to ("pipe:[123]", "/dev/pts/4", a path), as the probe found them at start. */
  fds(): Map<number, string> {
    return new Map(this.values('fd').map((v) => [Number(v.slice(0, v.indexOf(' '))), v.slice(v.indexOf(' ') + 1)]));
  }

  /** The variable's value as the probe saw it; undefined when it was unset. */
  env(name: string): string | undefined {
    for (const v of this.values('env')) {
      if (v === name) return undefined;
      if (v.startsWith(`${name}=`)) return v.slice(name.length + 1);
    }
    throw new Error(`the probe does not report ${name}`);
  }

  /** Is signal NAME in the SigIgn mask the probe started with? */
  ignored(signal: number): boolean {
    const mask = BigInt(`0x${this.value('SigIgn') ?? 'x'}`);
    return ((mask >> BigInt(signal - 1)) & 1n) === 1n;
  }

  /** Polls until COND holds; throws with the log (a guard against hanging, not a timing check). */
  async waitFor(cond: (log: ProbeLog) => boolean, what: string, limitMs = 20_000): Promise<void> {
    const until = Date.now() + limitMs;
    while (!cond(this)) {
      if (Date.now() > until) throw new Error(`gave up waiting for ${what}; the probe's log:\n${this.text() || '(empty)'}`);
      await delay(20);
    }
  }

  ready(): Promise<void> {
    return this.waitFor((log) => log.lines().includes('ready'), 'the probe to start');
  }
}

export interface ProcStat {
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly tpgid: number;
}

export function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      state: fields[0]!,
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      tpgid: Number(fields[5]),
    };
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie. */
export function alive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

function exeOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

function allPids(): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
}

/** PID's ancestors, nearest first, up to (not including) STOP or PID 1. */
export function ancestors(pid: number, stop: number): number[] {
  const out: number[] = [];
  for (let p = procStat(pid)?.ppid ?? 0; p > 1 && p !== stop && out.length < 64; p = procStat(p)?.ppid ?? 0) out.push(p);
  return out;
}

/** The ancestor of PID (or PID itself) whose parent is TOP: what TOP started on the way to PID. */
export function startedBy(pid: number, top: number): number {
  let current = pid;
  for (let i = 0; i < 64; i += 1) {
    const parent = procStat(current)?.ppid ?? 0;
    if (parent === top) return current;
    if (parent <= 1) break;
    current = parent;
  }
  throw new Error(`process ${pid} does not descend from ${top}`);
}

/**
 * Node processes around the target: between it and the process that started
 * netns-run (TOP), descended from netns-run's PID, or in its process group.
 * TOP itself (the test, or the shell in tmux) and its ancestors are excluded.
 */
export function nodesAround(target: number, netnsRunPid: number, top: number): string[] {
  const excluded = new Set([top, ...ancestors(top, 0), process.pid, ...ancestors(process.pid, 0)]);
  const candidates = new Set<number>([netnsRunPid, target, ...ancestors(target, top)]);
  const group = procStat(netnsRunPid)?.pgrp ?? procStat(target)?.pgrp;
  const table = allPids().map((pid) => [pid, procStat(pid)] as const);
  // Twice: a descendant's descendant is found on the second pass.
  for (let pass = 0; pass < 2; pass += 1) {
    for (const [pid, stat] of table) {
      if (!stat) continue;
      if (group !== undefined && stat.pgrp === group) candidates.add(pid);
      if (candidates.has(stat.ppid)) candidates.add(pid);
    }
  }
  const nodeExe = realpathSync(NODE);
  return [...candidates]
    .filter((pid) => !excluded.has(pid))
    .filter((pid) => {
      const exe = exeOf(pid);
      return exe === nodeExe || basename(exe).startsWith('node') || procStat(pid)?.comm === 'node';
    })
    .map((pid) => `${pid} ${exeOf(pid)} ${cmdline(pid)}`);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '(gone)';
  }
}

export interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  /** How it ended, as waitpid() reported it to Node. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

const running = new Set<ChildProcess>();

/** Starts FILE ARGS (netns-run itself, or sh -c '... exec netns-run ...') with the workspace's PATH and keeps hold of it. */
export function start(file: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd?: string; stdio?: StdioOptions; detached?: boolean }): Started {
  const child = spawn(file, args, { cwd: options.cwd ?? '/tmp', env: options.env, stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${file}`);
  return { child, pid: child.pid, exited, stdout: () => stdout, stderr: () => stderr };
}

/** netns-run NAME -- ARGS as users run it: the file itself, found `node` through PATH. */
export function startNetnsRun(ws: Workspace, args: readonly string[], options: { stdio?: StdioOptions; detached?: boolean; env?: NodeJS.ProcessEnv } = {}): Started {
  return start(BIN, args, { env: options.env ?? ws.env, cwd: ws.dir, ...(options.stdio ? { stdio: options.stdio } : {}), ...(options.detached ? { detached: true } : {}) });
}

/** SIGKILLs the processes PIDS (probes, shells) if they still run, and whatever start() left running. */
export function stopAll(pids: readonly number[] = []): void {
  for (const pid of pids) if (pid > 1 && alive(pid)) process.kill(pid, 'SIGKILL');
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * One namespace and one workspace for a test file: set up in the before
 * hook (the first run makes the namespace, so tests take the warm path),
 * removed in the after hook, also when a test failed. Setup errors are kept
 * and thrown by ready(), so that every test fails with them.
 */
export class Suite {
  readonly name = uniqueName('conf');
  readonly skip = suiteSkip();
  private workspace: Workspace | undefined;
  private error: unknown;
  readonly probes: number[] = [];

  constructor(readonly title: string) {
    if (this.skip) skipReason(`${title}: ${this.skip}`);
    else process.stdout.write(`# ${title}: netns-run started by Node ${describeNode()}\n`);
  }

  /**
   * uvu's test for a file that needs nothing but this suite: skipped when
   * the suite cannot run here, with setUp before the file's tests and
   * tearDown after them.
   */
  tests(): (name: string, run: () => Promise<void> | void) => void {
    test.before(() => this.setUp());
    test.after(() => this.tearDown());
    return this.skip ? test.skip : test;
  }

  async setUp(): Promise<void> {
    if (this.skip) return;
    try {
      this.workspace = makeWorkspace();
      const first = await netnsRun([this.name, '--', 'true'], { env: this.workspace.env });
      if (first.code !== 0) throw new Error(`netns-run ${this.name} -- true failed (${first.code}/${first.signal}): ${first.stderr}`);
    } catch (error) {
      this.error = error;
    }
  }

  tearDown(): void {
    stopAll(this.probes);
    removeNamespace(this.name);
    this.workspace?.cleanup();
  }

  ready(): Workspace {
    if (this.error !== undefined) throw this.error;
    if (!this.workspace) throw new Error('the suite was not set up');
    return this.workspace;
  }

  /** A probe's argv with a fresh log: netns-run NAME -- PROBE OPTIONS LOG. */
  probe(options: readonly string[] = []): { argv: string[]; log: ProbeLog } {
    const ws = this.ready();
    const log = new ProbeLog(ws.path('probe.log'));
    return { argv: [ws.probe, ...options, log.path], log };
  }
}

/** Signal numbers on Linux x86-64/arm64 (the ones the suite names). */
export const SIGNAL_NUMBERS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, CONT: 18, XFSZ: 25, WINCH: 28,
};

/**
 * A shell at a real terminal: a private tmux server whose windows run bash
 * or zsh with no startup files, prompt "outer$ " and PATH starting at the
 * workspace's bin/, so that typing `netns-run` runs bin/netns-run with the
 * Node under test, as an installed one would run.
 */
export class Terminal {
  readonly tmux = new TmuxServer(`nrt-conf-${process.pid}`);
  static readonly PROMPT = 'outer$';

  start(width = 160, height = 40): void {
    this.tmux.start(width, height);
  }

  kill(): void {
    this.tmux.kill();
  }

  /** Opens a window with SHELL (bash or zsh) and waits for its prompt; returns the pane. */
  async shell(kind: 'bash' | 'zsh', ws: Workspace): Promise<Pane> {
    const env = ['env', '-i', `--chdir=${ws.dir}`, `PATH=${ws.env.PATH}`, 'HOME=/root', 'TERM=screen', 'HISTFILE=', `PS1=${Terminal.PROMPT} `];
    const argv = kind === 'bash' ? [...env, 'bash', '--norc', '--noprofile', '-i'] : [...env, 'zsh', '-f', '-i'];
    const pane = new Pane(this.tmux, this.tmux.open(argv));
    if (kind === 'zsh') {
      // zsh -f does not take PS1 from the environment; no % marks after output without a final newline.
      pane.enter(`PS1='${Terminal.PROMPT} '; unsetopt PROMPT_SP; clear`);
    }
    await pane.prompt(`${kind} started`);
    return pane;
  }
}

export class Pane {
  constructor(readonly tmux: TmuxServer, readonly id: string) {}

  /** The pane's terminal device and the PID of the program it started (the shell). */
  get tty(): string {
    return this.tmux.run(['display-message', '-p', '-t', this.id, '#{pane_tty}']).trim();
  }

  get shellPid(): number {
    return Number(this.tmux.run(['display-message', '-p', '-t', this.id, '#{pane_pid}']).trim());
  }

  screen(): string {
    return this.tmux.screen(this.id);
  }

  lines(): string[] {
    return this.screen().split('\n');
  }

  enter(text: string): void {
    this.tmux.type(this.id, text);
    this.tmux.press(this.id, 'Enter');
  }

  type(text: string): void {
    this.tmux.type(this.id, text);
  }

  press(key: string): void {
    this.tmux.press(this.id, key);
  }

  resize(width: number, height: number): void {
    this.tmux.run(['resize-window', '-t', this.id, '-x', String(width), '-y', String(height)]);
  }

  /** Waits until the screen satisfies COND; throws with the screen if it never does. */
  async waitFor(cond: (screen: string) => boolean, what: string, limitMs = 20_000): Promise<string> {
    const screen = await this.tmux.waitFor(this.id, cond, limitMs);
    if (!cond(screen)) throw new Error(`gave up waiting for ${what}; the screen:\n${screen}`);
    return screen;
  }

  /** Waits for a line that is exactly LINE. */
  line(line: string, what: string): Promise<string> {
    return this.waitFor((s) => s.split('\n').includes(line), `${what} (a line ${JSON.stringify(line)})`);
  }

  /** Waits until the last non-empty line is the bare outer prompt. */
  prompt(what: string): Promise<string> {
    return this.waitFor((s) => {
      const all = s.split('\n').filter(Boolean);
      return all[all.length - 1] === Terminal.PROMPT;
    }, `the outer prompt: ${what}`);
  }

  close(): void {
    this.tmux.close(this.id);
  }
}
