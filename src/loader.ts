// What bin/netns-run requires (bundled by scripts/bundle.mjs as
// dist/netns-run.cjs, CommonJS): it compiles netns-run's bundle
// (dist/netns-run-main.cjs) the way Node's require would, but with V8's code
// cache where src/code-cache.ts allows one, and runs it. Only for the
// bundle: nothing here is compiled by tsc for use.

import { closeSync, constants, fstatSync, openSync, type BigIntStats } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { cacheDirectory, cacheName, currentIds, mayUseCache, readCache, writeCache } from './code-cache.js';
import { readWhole } from './trust.js';

declare const __dirname: string;
declare const require: NodeJS.Require;

const bundle = join(__dirname, 'netns-run-main.cjs');
const fd = openSync(bundle, constants.O_RDONLY);
let source: string;
let identity: BigIntStats;
try {
  identity = fstatSync(fd, { bigint: true });
  // esbuild writes ASCII (non-ASCII characters escaped), so latin1 reads it
  // exactly, and faster than UTF-8; one read of the size fstat gave.
  source = readWhole(fd, Number(identity.size)).toString('latin1');
} finally {
  closeSync(fd);
}

let dir: string | undefined;
let name = '';
let cached: Buffer | undefined;
if (mayUseCache(currentIds())) {
  try {
    dir = cacheDirectory();
    name = cacheName(identity);
    if (dir !== undefined) cached = readCache(dir, name);
  } catch {
    dir = undefined;
  }
}

// The wrapper Node itself puts around a CommonJS module, plus the bundle's
// way to import(): a script compiled by vm has no import() of its own
// without an experimental flag, so the bundle's import() calls are ours.
const script = new Script(`(function (exports, require, module, __filename, __dirname, __netns_run_import) {${source}\n})`, {
  filename: bundle,
  ...(cached !== undefined ? { cachedData: cached } : {}),
});
if (dir !== undefined && (cached === undefined || script.cachedDataRejected === true)) {
  const where = dir;
  // Made at exit, the cache holds every function this run compiled, not
  // only the top level. So it is made by a run of the kind it is for: the
  // common call (`NAME [--] COMMAND`), successful, on the warm path (no
  // helper was needed, so node:child_process was never loaded). Any other
  // run leaves it to the next one.
  const common = /^[A-Za-z0-9_]/.test(process.argv[2] === '--' ? (process.argv[3] ?? '') : (process.argv[2] ?? ''));
  process.once('exit', (code) => {
    const helped = (process as unknown as { moduleLoadList?: string[] }).moduleLoadList?.includes('NativeModule child_process') ?? true;
    if (common && code === 0 && !helped) writeCache(where, name, script.createCachedData());
  });
}

const here = dirname(bundle);
const module = { exports: {} as Record<string, unknown> };

/**
 * The set-up chunk (see scripts/bundle.mjs), compiled and run the first time
 * one of its modules is asked for. It takes the modules the warm bundle
 * already holds from the warm bundle's exports, through this require.
 */
let chunk: Record<string, unknown> | undefined;
function setUpChunk(): Record<string, unknown> {
  if (chunk !== undefined) return chunk;
  const file = join(here, 'netns-run-setup.cjs');
  const fd = openSync(file, constants.O_RDONLY);
  let text: string;
  try {
    text = readWhole(fd, fstatSync(fd).size).toString('latin1');
  } finally {
    closeSync(fd);
  }
  const compiled = new Script(`(function (exports, require, module, __filename, __dirname, __netns_run_import) {${text}\n})`, { filename: file });
  const own = { exports: {} as Record<string, unknown> };
  const chunkRequire = Object.assign((id: string) => (id === './netns-run-main.cjs' ? module.exports : require(id)), require);
  (compiled.runInThisContext() as (...args: unknown[]) => void).call(own.exports, own.exports, chunkRequire, own, file, here, importer);
  chunk = own.exports;
  return chunk;
}

function importer(specifier: string): Promise<unknown> {
  if (specifier.startsWith('./netns-run-setup.cjs#')) return Promise.resolve(setUpChunk()[specifier.slice(specifier.indexOf('#') + 1)]);
  return import(specifier.startsWith('./') ? pathToFileURL(join(here, specifier)).href : specifier);
}
(script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, require, module, bundle, here, importer);
