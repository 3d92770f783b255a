#!/usr/bin/env node
// npm run build, after tsc: the files netns-run runs from (bin/netns-run
// loads dist/netns-run.cjs). One file for everything a run needs, in
// CommonJS, which Node 20 starts measurably faster than an ES module (see
// the README's performance section); and one ES module, loaded only when
// the command line needs yargs (an option, --help, a mistake), with yargs
// inside it. tsc's output in dist/src stays what the tests import.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const common = {
  absWorkingDir: new URL('.', root).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20.19',
  // Readable stack traces under NETNS_RUN_DEBUG; whitespace is what costs parse time.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: ['src/entry.ts'],
  outfile: 'dist/netns-run.cjs',
  format: 'cjs',
  define: { NETNS_RUN_VERSION: JSON.stringify(version) },
  // cli.ts reads package.json through import.meta.url only when not bundled;
  // here NETNS_RUN_VERSION makes that branch dead (checked below).
  logOverride: { 'empty-import-meta': 'silent' },
  // execa is left to the lead's spawn path and self-elevation, which import it
  // themselves from node_modules when (and only when) they run.
  external: ['execa'],
  plugins: [{
    name: 'yargs-on-demand',
    setup(b) {
      // cli.ts imports its yargs half dynamically; here it becomes the separate file.
      b.onResolve({ filter: /^\.\/cli-parser\.js$/ }, () => ({ path: './netns-run-yargs.mjs', external: true }));
    },
  }],
});

// A live import.meta in CommonJS would be an empty object: fail the build instead.
if (/\bimport_meta\./.test(readFileSync(new URL('dist/netns-run.cjs', root), 'utf8'))) {
  console.error('bundle: dist/netns-run.cjs uses import.meta, which CommonJS does not have');
  process.exit(1);
}

await build({
  ...common,
  entryPoints: ['src/cli-parser.ts'],
  outfile: 'dist/netns-run-yargs.mjs',
  format: 'esm',
});
