#!/usr/bin/env node
// npm run build, after tsc: the files netns-run runs from.
//   dist/netns-run.cjs        what bin/netns-run requires: src/loader.ts, which
//                             compiles and runs the bundle below, with V8's code
//                             cache where src/code-cache.ts allows one
//   dist/netns-run-main.cjs   everything a warm run needs, one file (src/entry.ts)
//   dist/netns-run-setup.cjs  the set-up chunk: everything src/ reaches only
//                             through import() (other commands, set-up,
//                             self-elevation), loaded by the loader on demand
//   dist/netns-run-yargs.mjs  yargs, loaded only when the command line needs it
//                             (an option, --help, a mistake)
// CommonJS, which Node 20 starts measurably faster than ES modules (see
// docs/performance.md). tsc's output in dist/src stays what the
// tests import.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const common = {
  absWorkingDir: new URL('.', root).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20.19',
  // Names stay readable in a stack trace (NETNS_RUN_DEBUG); whitespace is what costs parse time.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
};

function fail(message) {
  console.error(`bundle: ${message}`);
  process.exit(1);
}

const MAIN = 'dist/netns-run-main.cjs';
const SETUP = 'dist/netns-run-setup.cjs';
const ENTRY = 'src/entry.ts';
const rootDir = new URL('.', root).pathname;
const key = (path) => relative(rootDir, path);

// The chunk boundary is import() itself (docs/development.md): in src/, a
// dynamic import of one of its own modules is a way into the set-up chunk,
// except the entry's import of main.ts, which only defers the warm path
// itself until the entry has run (src/entry.ts). So what only set-up or a
// command other than a run reaches lands in the chunk with no list to keep.
// At the call site it becomes import("./netns-run-setup.cjs#src/x.ts"),
// which the loader answers with that module of the chunk.
const chunkEntries = new Set();
function chunkBoundary(b) {
  b.onResolve({ filter: /^\.\.?\//, namespace: 'file' }, async (args) => {
    if (args.kind !== 'dynamic-import' || args.pluginData?.resolving || args.path === './cli-parser.js') return undefined;
    if (key(args.importer) === ENTRY) return undefined;
    const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { resolving: true } });
    if (resolved.errors.length > 0) return { errors: resolved.errors };
    chunkEntries.add(key(resolved.path));
    return { path: `./netns-run-setup.cjs#${key(resolved.path)}`, external: true };
  });
}
const yargsOnDemand = {
  name: 'yargs-on-demand',
  setup(b) {
    // cli.ts imports its yargs half dynamically; here it becomes the separate file.
    b.onResolve({ filter: /^\.\/cli-parser\.js$/ }, () => ({ path: './netns-run-yargs.mjs', external: true }));
  },
};
const mainOptions = (entry) => ({
  ...common,
  ...entry,
  outfile: MAIN,
  format: 'cjs',
  define: { NETNS_RUN_VERSION: JSON.stringify(version) },
  // cli.ts reads package.json through import.meta.url only when not bundled;
  // here NETNS_RUN_VERSION makes that branch dead (checked below).
  logOverride: { 'empty-import-meta': 'silent' },
  // execa is left to the exec paths that import it themselves from
  // node_modules when (and only when) they run.
  external: ['execa'],
  metafile: true,
  plugins: [yargsOnDemand, { name: 'chunk-boundary', setup: chunkBoundary }],
});

// 1. The warm bundle alone: which modules it holds, and which import()s lead into the chunk.
const first = await build({ ...mainOptions({ entryPoints: [ENTRY] }), write: false });
const inMain = new Set(Object.keys(first.metafile.inputs).map((path) => key(new URL(path, root).pathname)));
if (chunkEntries.size === 0) fail('no import() leads into the set-up chunk');

// 2. The chunk: the modules its entries reach that the warm bundle does not
// hold. A module of src/ the warm bundle holds is not copied (one
// NetnsRunError class, one state): the chunk takes it from the warm
// bundle's exports. A package (signal-exit) may be in both: the warm bundle
// holds it unevaluated until a helper needs it, and exporting it would
// evaluate it on every run; signal-exit keeps its state on process, for
// just this case of two copies.
const shared = new Set();
const chunk = await build({
  ...common,
  stdin: {
    contents: [...chunkEntries].sort().map((entry) => `export * as ${JSON.stringify(entry)} from ${JSON.stringify(`./${entry}`)};`).join('\n'),
    resolveDir: rootDir,
    sourcefile: 'set-up-chunk.js',
  },
  outfile: SETUP,
  format: 'cjs',
  define: { NETNS_RUN_VERSION: JSON.stringify(version) },
  logOverride: { 'empty-import-meta': 'silent' },
  external: ['execa'],
  metafile: true,
  plugins: [yargsOnDemand, {
    name: 'from-the-warm-bundle',
    setup(b) {
      b.onResolve({ filter: /^\.\/netns-run-main\.cjs$/, namespace: 'warm-bundle' }, () => ({ path: './netns-run-main.cjs', external: true }));
      b.onResolve({ filter: /.*/, namespace: 'file' }, async (args) => {
        if (args.pluginData?.resolving || args.kind === 'entry-point' || args.importer === '' || args.path.startsWith('node:')) return undefined;
        const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { resolving: true } });
        if (resolved.errors.length > 0 || resolved.external || !key(resolved.path).startsWith('src/') || !inMain.has(key(resolved.path))) return undefined;
        shared.add(key(resolved.path));
        return { path: key(resolved.path), namespace: 'warm-bundle' };
      });
      b.onLoad({ filter: /.*/, namespace: 'warm-bundle' }, (args) => ({
        contents: `module.exports = require("./netns-run-main.cjs")[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
    },
  }],
});
for (const path of Object.keys(chunk.metafile.inputs)) {
  if (path.startsWith('warm-bundle:') || path === 'set-up-chunk.js') continue;
  if (path.startsWith('src/') && inMain.has(key(new URL(path, root).pathname))) fail(`${path} is in both bundles`);
}

// 3. The warm bundle again, now exporting each module the chunk takes from
// it. main.ts comes first: its tree is evaluated in its own order, right
// after the entry's body, as it would be by the entry's import().
// What each file holds, for test/unit/bundle.test.ts (the guard that the warm path stays light).
const modulesOf = (metafile) => Object.keys(metafile.inputs).filter((path) => !path.includes(':') && path !== 'set-up-chunk.js').map((path) => key(new URL(path, root).pathname)).sort();
writeFileSync(new URL('dist/bundle-modules.json', root), `${JSON.stringify({ [MAIN]: [...inMain].sort(), [SETUP]: modulesOf(chunk.metafile), shared: [...shared].sort() }, null, 2)}\n`);

const exported = ['src/main.ts', ...[...shared].filter((path) => path !== 'src/main.ts').sort()];
await build(mainOptions({
  stdin: {
    contents: [`import ${JSON.stringify(`./${ENTRY}`)};`, ...exported.map((path) => `export * as ${JSON.stringify(path)} from ${JSON.stringify(`./${path}`)};`)].join('\n'),
    resolveDir: rootDir,
    sourcefile: 'warm-bundle.js',
  },
}));

// The loader compiles the bundles with vm, where import() needs a callback
// Node only allows behind an experimental flag: the loader passes its own
// import() instead. Every import() in a bundle is one of a known few.
function forTheLoader(file, expected) {
  let text = readFileSync(new URL(file, root), 'utf8');
  if (/\bimport_meta\./.test(text)) fail(`${file} uses import.meta, which CommonJS does not have`);
  const imports = [...text.matchAll(/\bimport\(("[^"]*")\)/g)].map((m) => JSON.parse(m[1]));
  if (imports.some((specifier) => !expected(specifier))) fail(`unexpected import() in ${file}: ${imports.join(', ')}`);
  text = text.replace(/\bimport\(("[^"]*")\)/g, '__netns_run_import($1)');
  if (/\bimport\(/.test(text)) fail(`${file} has an import() the loader would not see`);
  // Required as a plain module (not through the loader), it imports for itself; a module of the chunk is one of its exports.
  text = `var __netns_run_import=typeof __netns_run_import=="function"?__netns_run_import:(s=>{let[f,k]=s.split("#");return k?Promise.resolve(require(f)[k]):import(s)});${text}`;
  // The loader reads it as latin1, which is exact only for ASCII (esbuild's default charset).
  if (/[^\x00-\x7f]/.test(text)) fail(`${file} is not ASCII`);
  writeFileSync(new URL(file, root), text);
}
const intoChunk = (specifier) => specifier.startsWith('./netns-run-setup.cjs#') && chunkEntries.has(specifier.slice('./netns-run-setup.cjs#'.length));
forTheLoader(MAIN, (specifier) => specifier === './netns-run-yargs.mjs' || specifier === 'execa' || intoChunk(specifier));
forTheLoader(SETUP, (specifier) => specifier === './netns-run-yargs.mjs' || specifier === 'execa' || specifier === 'signal-exit');

await build({
  ...common,
  entryPoints: ['src/loader.ts'],
  outfile: 'dist/netns-run.cjs',
  format: 'cjs',
});

await build({
  ...common,
  entryPoints: ['src/cli-parser.ts'],
  outfile: 'dist/netns-run-yargs.mjs',
  format: 'esm',
  plugins: [{
    name: 'yargs-start-dir',
    setup(b) {
      // yargs looks for a package.json upwards from its "main file", which it
      // takes from its own path in node_modules, or else from the current
      // directory: bundled, that is the caller's, and root would read every
      // directory from there up (`sudo netns-run --chdir ...`). From the
      // bundle's own directory it finds netns-run's package.json instead.
      b.onLoad({ filter: /yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, async (args) => {
        const text = readFileSync(args.path, 'utf8');
        const from = 'mainFilename: mainFilename || process.cwd(),';
        if (!text.includes(from)) fail(`${args.path} no longer says "${from}": check where yargs starts looking for package.json`);
        return { contents: text.replace(from, 'mainFilename: mainFilename || __dirname,'), loader: 'js' };
      });
    },
  }],
});
