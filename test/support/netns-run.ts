// How tests run netns-run and the system tools around it. Every namespace a
// test makes is named nrt-* (test/run.mjs checks for leftovers by that name)
// and removed by removeNamespace(), which tests call from finally blocks or
// after-hooks so that it also runs when an assertion fails.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/**
 * The netns-run under test: this clone's, or the copy test/run.mjs made where
 * plain users can reach it when they cannot reach the clone (under /root).
 */
export const BIN = process.env.NETNS_RUN_TEST_BIN || join(ROOT, 'bin', 'netns-run');
/** The package BIN belongs to: its dist/, node_modules/ and package.json. */
export const PACKAGE = dirname(dirname(BIN));
/** The Node that runs netns-run: the one running the tests, unless NETNS_RUN_TEST_NODE names another. */
export const NODE = process.env.NETNS_RUN_TEST_NODE || process.execPath;

export interface Result {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly input?: string;
  readonly timeoutMs?: number;
}

/** The directory of NODE, first in PATH for bin/netns-run, whose launcher line runs `node`. */
export const NODE_DIR = dirname(NODE);

/** env with NODE_DIR first in PATH, so that bin/netns-run's `node` is the Node under test. */
export function withTestNode(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: [NODE_DIR, env.PATH ?? '/usr/bin:/bin'].join(delimiter) };
}

/**
 * Runs `netns-run ARGS...` as the test's own user (root) the way users do:
 * executing bin/netns-run, whose shell line runs Node and then execs the
 * chain. Collects everything.
 */
export function netnsRun(args: readonly string[], options: RunOptions = {}): Promise<Result> {
  return runProgram(BIN, args, { ...options, env: withTestNode(options.env) });
}

/** Runs `NODE bin/netns-run ARGS...`: Node started directly, as a setuid wrapper starts it; Node execs or spawns the chain. */
export function netnsRunDirect(args: readonly string[], options: RunOptions = {}): Promise<Result> {
  return runProgram(NODE, [BIN, ...args], options);
}

export function runProgram(file: string, args: readonly string[], options: RunOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd ?? '/tmp',
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A shell command as root; throws with its stderr if it fails. */
export function sh(command: string): string {
  const result: SpawnSyncReturns<string> = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sh -c ${JSON.stringify(command)} failed (${result.status}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** Like sh() but never throws: for cleanup and probing. */
export function trySh(command: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let counter = 0;
/** A fresh namespace name, unique to this process and call, that test/run.mjs recognises. */
export function uniqueName(tag: string): string {
  counter += 1;
  return `nrt-${tag}-${process.pid}-${counter}`.slice(0, 64);
}

/** Removes everything netns-run or a test made for NAME; safe to call whatever state it is in. */
export function removeNamespace(name: string): void {
  trySh(`
    umount /run/netns-run/${name}/mntns 2>/dev/null
    umount -l /run/netns-run/${name} 2>/dev/null
    rm -rf /run/netns-run/${name} /etc/netns/${name}
    ip netns delete ${name} 2>/dev/null
    rm -f /run/netns/${name}
  `);
}

/** Lists what exists for NAME: empty when nothing is left. */
export function tracesOf(name: string): string[] {
  const traces: string[] = [];
  for (const path of [`/run/netns/${name}`, `/run/netns-run/${name}`, `/etc/netns/${name}`]) if (existsSync(path)) traces.push(path);
  const mounts = readdirSync('/proc/self').length ? trySh(`grep -F ' /run/netns-run/${name}' /proc/self/mountinfo`).stdout.trim() : '';
  if (mounts) traces.push(`mounts: ${mounts.split('\n').length}`);
  return traces;
}

export const isRoot = process.geteuid?.() === 0;

/**
 * Says why the tests registered with uvu's test.skip (counted by uvu) cannot
 * run here. Only beside test.skip: a skip inside a running test is skip()
 * of support/skip.ts, which test/run.mjs counts.
 */
export function skipReason(reason: string): void {
  process.stdout.write(`# skipped here: ${reason}\n`);
}
