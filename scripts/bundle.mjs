#!/usr/bin/env node
// npm run build, after tsc: the files netns-run runs from.
//   dist/netns-run.cjs        what bin/netns-run requires: src/loader.ts, which
//                             compiles and runs the bundle below, with V8's code
//                             cache where src/code-cache.ts allows one
//   dist/netns-run-main.cjs   everything a run needs, one file (src/entry.ts)
//   dist/netns-run-yargs.mjs  yargs, loaded only when the command line needs it
//                             (an option, --help, a mistake)
// CommonJS, which Node 20 starts measurably faster than ES modules (see
// docs/performance.md). tsc's output in dist/src stays what the
// tests import.
import { readFileSync, writeFileSync } from 'node:fs';
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
await build({
  ...common,
  entryPoints: ['src/entry.ts'],
  outfile: MAIN,
  format: 'cjs',
  define: { NETNS_RUN_VERSION: JSON.stringify(version) },
  // cli.ts reads package.json through import.meta.url only when not bundled;
  // here NETNS_RUN_VERSION makes that branch dead (checked below).
  logOverride: { 'empty-import-meta': 'silent' },
  // execa is left to the exec paths that import it themselves from
  // node_modules when (and only when) they run.
  external: ['execa'],
  plugins: [{
    name: 'yargs-on-demand',
    setup(b) {
      // cli.ts imports its yargs half dynamically; here it becomes the separate file.
      b.onResolve({ filter: /^\.\/cli-parser\.js$/ }, () => ({ path: './netns-run-yargs.mjs', external: true }));
    },
  }],
});

// The loader compiles the bundle with vm, where import() needs a callback
// Node only allows behind an experimental flag: the loader passes its own
// import() instead. Every import() in the bundle is one of a known few.
let main = readFileSync(new URL(MAIN, root), 'utf8');
if (/\bimport_meta\./.test(main)) fail(`${MAIN} uses import.meta, which CommonJS does not have`);
const imports = [...main.matchAll(/\bimport\(("[^"]*")\)/g)].map((m) => JSON.parse(m[1]));
const expected = ['./netns-run-yargs.mjs', 'execa', 'node:child_process', 'signal-exit'];
if (imports.some((specifier) => !expected.includes(specifier))) fail(`unexpected import() in ${MAIN}: ${imports.join(', ')}`);
main = main.replace(/\bimport\(("[^"]*")\)/g, '__netns_run_import($1)');
if (/\bimport\(/.test(main)) fail(`${MAIN} has an import() the loader would not see`);
// Required as a plain module (not through the loader), it imports for itself.
main = `var __netns_run_import=typeof __netns_run_import=="function"?__netns_run_import:(s=>import(s));${main}`;
// The loader reads it as latin1, which is exact only for ASCII (esbuild's default charset).
if (/[^\x00-\x7f]/.test(main)) fail(`${MAIN} is not ASCII`);
writeFileSync(new URL(MAIN, root), main);

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
