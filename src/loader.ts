// What bin/netns-run requires (bundled by scripts/bundle.mjs as
// dist/netns-run.cjs, CommonJS): it compiles netns-run's bundle
// (dist/netns-run-main.cjs) the way Node's require would, but with V8's code
// cache where src/code-cache.ts allows one, and runs it; and the set-up
// chunk (dist/netns-run-setup.cjs) the same way, the first time the bundle
// asks for one of its modules. Only for the bundle: nothing here is
// compiled by tsc for use.

import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { cacheDirectory, cacheName, currentIds, mayUseCache, readCache, writeCache } from './code-cache.js';
import { readWhole } from './trust.js';

declare const __dirname: string;
declare const require: NodeJS.Require;

/**
 * FILE compiled as Node compiles a CommonJS module, plus the bundle's way
 * to import(): a script compiled by vm has no import() of its own without
 * an experimental flag, so the bundle's import() calls are ours. With the
 * code V8 cached for this very file (by Node version, device, inode, size
 * and change time) where the cache may be used; when there is none, or V8
 * refuses it, one is made at exit if KEEP(exit code) says that run was of
 * the kind the cache is for.
 */
function compile(file: string, keep: (code: number) => boolean): Script {
  const fd = openSync(file, constants.O_RDONLY);
  let source: string;
  let name = '';
  try {
    const identity = fstatSync(fd, { bigint: true });
    name = cacheName(identity);
    // esbuild writes ASCII (non-ASCII characters escaped), so latin1 reads it
    // exactly, and faster than UTF-8; one read of the size fstat gave.
    source = readWhole(fd, Number(identity.size)).toString('latin1');
  } finally {
    closeSync(fd);
  }
  let dir: string | undefined;
  let cached: Buffer | undefined;
  if (mayUseCache(currentIds())) {
    try {
      dir = cacheDirectory();
      if (dir !== undefined) cached = readCache(dir, name);
    } catch {
      dir = undefined;
    }
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __netns_run_import) {${source}\n})`, {
    filename: file,
    ...(cached !== undefined ? { cachedData: cached } : {}),
  });
  if (dir !== undefined && (cached === undefined || script.cachedDataRejected === true)) {
    const where = dir;
    // Made at exit, the cache holds every function this run compiled, not only the top level.
    process.once('exit', (code) => {
      if (keep(code)) writeCache(where, name, script.createCachedData());
    });
  }
  return script;
}

const bundle = join(__dirname, 'netns-run-main.cjs');
const here = dirname(bundle);
// The bundle's cache is made by a run of the kind it is for: the common
// call (`NAME [--] COMMAND`), successful, on the warm path (no helper was
// needed, so node:child_process was never loaded). Any other run leaves it
// to the next one.
const common = /^[A-Za-z0-9_]/.test(process.argv[2] === '--' ? (process.argv[3] ?? '') : (process.argv[2] ?? ''));
const script = compile(bundle, (code) => {
  const helped = (process as unknown as { moduleLoadList?: string[] }).moduleLoadList?.includes('NativeModule child_process') ?? true;
  return common && code === 0 && !helped;
});
const module = { exports: {} as Record<string, unknown> };

/**
 * The set-up chunk (see scripts/bundle.mjs), compiled and run the first time
 * one of its modules is asked for. It takes the modules the warm bundle
 * already holds from the warm bundle's exports, through this require. Its
 * cache is made by any successful run that loaded it (set-up, --list,
 * --status, --down, ...): each compiles the functions it needs.
 */
let chunk: Record<string, unknown> | undefined;
function setUpChunk(): Record<string, unknown> {
  if (chunk !== undefined) return chunk;
  const file = join(here, 'netns-run-setup.cjs');
  const compiled = compile(file, (code) => code === 0);
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
