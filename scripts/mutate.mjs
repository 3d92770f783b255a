#!/usr/bin/env node
// npm run mutate [-- ID...]: the mutation check. Each mutant of
// scripts/mutants.mjs (a defence removed or weakened in src/) is applied to a
// scratch copy of the repository, built, and its test files are run there
// (only those: a few minutes in all, not the whole suite). A mutant is killed
// when at least one of its test files fails; it survives when they all pass.
// First the same test files run once on the unmutated copy: a test that
// fails there kills nothing (it is listed, and only other tests' failures
// count for that file), lest a red test "kill" every mutant.
// A search text that no longer occurs exactly once, a mutant that does not
// build, or a mutant that needs a Node it cannot have is an error, never a
// kill. Prints killed/survived/error for each and the score; exits 0 only if
// every mutant was killed.
// Runs the test files as root, like the suite (one at a time, each cleaning
// up after itself). --no-baseline skips the unmutated run.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mutants from './mutants.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const baseline = !args.includes('--no-baseline');
const wanted = args.filter((a) => !a.startsWith('--'));
const chosen = wanted.length ? mutants.filter((m) => wanted.includes(m.id)) : mutants;
const unknown = wanted.filter((id) => !mutants.some((m) => m.id === id));
if (unknown.length) {
  console.error(`mutate: no mutant called ${unknown.join(', ')}; known: ${mutants.map((m) => m.id).join(' ')}`);
  process.exit(2);
}

/** A Node with process.execve, for mutants only that exec path can kill. */
function execveNode() {
  const nodes = [process.execPath, ...(process.env.NETNS_RUN_TEST_NODES ?? '').split(':').filter(Boolean)];
  return nodes.find((node) => spawnSync(node, ['-p', 'typeof process.execve'], { encoding: 'utf8' }).stdout?.trim() === 'function');
}

// The scratch copy: without node_modules (a symlink to ours), dist and .git;
// 0755 all the way, since the tests' plain users run its bin/netns-run.
const scratch = mkdtempSync('/tmp/netns-run-mutate-');
chmodSync(scratch, 0o755);
const cleanup = () => rmSync(scratch, { recursive: true, force: true });
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
cpSync(root, scratch, {
  recursive: true,
  filter: (source) => !['node_modules', 'dist', '.git'].includes(basename(source)) || source === root,
});
symlinkSync(realpathSync(join(root, 'node_modules')), join(scratch, 'node_modules'));

function build() {
  const tsc = spawnSync(process.execPath, [join(scratch, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: scratch, encoding: 'utf8' });
  if (tsc.status !== 0) return `tsc: ${(tsc.stdout + tsc.stderr).trim().split('\n').slice(0, 3).join(' | ')}`;
  const bundle = spawnSync(process.execPath, ['scripts/bundle.mjs'], { cwd: scratch, encoding: 'utf8' });
  if (bundle.status !== 0) return `bundle: ${bundle.stderr.trim()}`;
  return undefined;
}

/** Runs one compiled test file in the scratch copy: whether it passed, and the names of its failed tests. */
function runTest(file, node) {
  const env = { ...process.env, NO_COLOR: '1' };
  delete env.NETNS_RUN_TEST_NODES;
  if (node) env.NETNS_RUN_TEST_NODE = node;
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(scratch, 'dist', 'test', file)], {
    cwd: scratch, encoding: 'utf8', env, timeout: 20 * 60 * 1000, maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const names = [...(result.stdout ?? '').matchAll(/FAIL\s+(?:\S.*?\s)?"(.*)"/g)].map((m) => m[1]);
  return { passed: result.status === 0, names, seconds, how: `exit ${result.status}${result.signal ? ` (${result.signal})` : ''}` };
}

/** Per test file (and Node): the tests that fail without any mutant. */
const redAlready = new Map();

/** What of RUN is the mutant's doing: failures beyond those of the unmutated run; '' if none. */
function newFailures(key, run) {
  const known = redAlready.get(key);
  if (run.passed) return '';
  if (known === undefined) return run.names.length ? run.names.slice(0, 2).join('; ') : run.how;
  const fresh = run.names.filter((name) => !known.names.includes(name));
  if (fresh.length) return fresh.slice(0, 2).join('; ');
  return known.passed ? run.how : '';
}

const sources = new Map();
const original = (file) => {
  if (!sources.has(file)) sources.set(file, readFileSync(join(root, file), 'utf8'));
  return sources.get(file);
};

// Every search text is checked before anything runs: a stale list fails at once.
const stale = [];
for (const m of chosen) {
  let text;
  try {
    text = original(m.file);
  } catch {
    stale.push(`${m.id}: ${m.file} does not exist`);
    continue;
  }
  const count = text.split(m.search).length - 1;
  if (count !== 1) stale.push(`${m.id}: its search text occurs ${count} times in ${m.file} (must be once): update scripts/mutants.mjs`);
}
if (stale.length) {
  for (const line of stale) console.log(`ERROR ${line}`);
  console.log(`\nmutation score: not measured: ${stale.length} mutant(s) no longer match src/`);
  process.exit(1);
}

const node24 = execveNode();
if (baseline) {
  const error = build();
  if (error) {
    console.log(`ERROR the unmutated copy does not build: ${error}`);
    process.exit(1);
  }
  const files = [...new Set(chosen.flatMap((m) => m.tests.map((t) => `${t}${m.node === 'execve' && node24 ? ` ${node24}` : ''}`)))];
  for (const entry of files) {
    const [file, node] = entry.split(' ');
    const run = runTest(file, node);
    redAlready.set(entry, run);
    console.log(`baseline ${file}${node ? ` [${node}]` : ''}: ${run.passed ? 'passes' : `FAILS already, so these kill nothing: ${run.names.join('; ') || run.how}`} (${run.seconds} s)`);
  }
}

const outcome = { killed: 0, survived: 0, error: 0 };
for (const m of chosen) {
  const path = join(scratch, m.file);
  const text = original(m.file);
  let verdict;
  if (m.node === 'execve' && !node24) {
    verdict = `ERROR needs a Node with process.execve (22.15+/24): set NETNS_RUN_TEST_NODES to one, as .ci/run does`;
    outcome.error += 1;
  } else {
    writeFileSync(path, text.replace(m.search, () => m.replace));
    const error = build();
    if (error) {
      verdict = `ERROR does not build: ${error}`;
      outcome.error += 1;
    } else {
      const killers = [];
      const times = [];
      for (const file of m.tests) {
        const node = m.node === 'execve' ? node24 : undefined;
        const run = runTest(file, node);
        times.push(`${file} ${run.seconds} s`);
        const failed = newFailures(`${file}${node ? ` ${node}` : ''}`, run);
        if (failed) killers.push(`${file}: ${failed}`);
      }
      const alreadyRed = m.tests.flatMap((file) => redAlready.get(`${file}${m.node === 'execve' && node24 ? ` ${node24}` : ''}`)?.names ?? []);
      if (killers.length) {
        verdict = `killed by ${killers.join(' / ')}`;
        outcome.killed += 1;
      } else if (alreadyRed.length) {
        // The tests that fail anyway might be the very ones that would have killed it.
        verdict = `ERROR inconclusive: nothing new failed, but ${alreadyRed.length} of its tests fail unmutated (${times.join(', ')})`;
        outcome.error += 1;
      } else {
        verdict = `SURVIVED ${times.join(', ')}`;
        outcome.survived += 1;
      }
    }
    writeFileSync(path, text);
  }
  console.log(`${m.id.padEnd(28)} ${verdict}`);
}
const total = chosen.length;
console.log(`\nmutation score: ${outcome.killed}/${total} killed, ${outcome.survived} survived, ${outcome.error} errors`);
process.exit(outcome.killed === total ? 0 : 1);
