// The systemd units in units/ and the drop-in that `netns-run --unit NAME`
// prints pass `systemd-analyze verify`, which parses them the way systemd
// does and checks that the programs in Exec*= lines exist and that the man
// pages in Documentation= do.
//
// verify works on copies in a temporary directory (removed after each test):
// - /usr/bin/netns-run becomes this checkout's bin/netns-run, since verify
//   fails on an ExecStart= program that is not there;
// - man:netns-run(1) is found through MANPATH in a man/man1/ tree holding
//   this checkout's man page, so Documentation= is checked against the page
//   that ships;
// - netns-run@.service sits next to the units that Require= an instance of it,
//   and verify, which adds the directory of the files it is given to the unit
//   search path, loads the copy instead of an installed one.
//
// What counts. verify's exit status is not enough: an unknown key, a line
// without '=', a misspelt Type= or a relative path in BindReadOnlyPaths= are
// only warnings ("..., ignoring") with exit status 0, yet each is a mistake
// that changes what the unit does. So a unit passes only if verify exits 0
// and prints nothing about it. The one kind of line that does not count is a
// warning about another file (`/lib/systemd/system/x.service:12: ...`):
// verify also loads what the units depend on (sysinit.target, shutdown.target,
// ...), and how the host's own units are written is not this project's
// mistake; such lines are shown, not counted. The tests at the end check the
// checker: it must reject a unit with a mistake of each kind.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, NODE, ROOT, runProgram } from '../support/netns-run.js';
import { skippable } from '../support/skip.js';

const UNITS = join(ROOT, 'units');
const TEMPLATE = 'netns-run@.service';
const EXAMPLE = 'example-transmission.service';
/** Where the shipped units say netns-run is (npm's global prefix /usr). */
const SHIPPED_PATH = '/usr/bin/netns-run';
/** Only written into unit text: nothing is made. Dash, dot and underscore, to try what a name may hold. */
const NAME = 'nrt-units_v.1';
const SERVICE = 'nrt-units-confined';

function works(program: string, args: readonly string[]): boolean {
  return spawnSync(program, args, { stdio: 'ignore' }).status === 0;
}

const haveAnalyze = works('systemd-analyze', ['--version']);
const haveMan = works('man', ['--version']);
const test = skippable(uvuTest, haveAnalyze ? undefined : 'systemd-analyze is missing (Debian package systemd): the units are not verified');
/** The checks that need man(1) as well. */
const withMan = skippable(test, haveMan ? undefined : 'man is missing (Debian package man-db): Documentation=man:netns-run(1) is not checked');

/** A path as the first word of an Exec*= line: quoted, with systemd's specifier character doubled. */
function execPath(path: string): string {
  if (/^[A-Za-z0-9_./+-]+$/.test(path)) return path;
  return `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/** The shipped unit files: every file in units/ must be one. */
function shippedUnits(): string[] {
  const files = readdirSync(UNITS).sort();
  for (const file of files) assert.match(file, /^[A-Za-z0-9_.@-]+\.(service|target|socket|timer|path|mount)$/, `units/${file} is not a unit file`);
  return files;
}

/** A fresh scratch directory with the man page tree; removed however FN ends. */
async function inScratch<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'nrt-units-')));
  try {
    mkdirSync(join(dir, 'man', 'man1'), { recursive: true });
    symlinkSync(join(ROOT, 'man', 'netns-run.1'), join(dir, 'man', 'man1', 'netns-run.1'));
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Copies the shipped units into DIR with netns-run's path made real; EDIT may break them on purpose. */
function copyUnits(dir: string, edit: (file: string, text: string) => string = (_, text) => text): void {
  const real = execPath(realpathSync(BIN));
  for (const file of shippedUnits()) {
    const text = readFileSync(join(UNITS, file), 'utf8');
    writeFileSync(join(dir, file), edit(file, text.split(SHIPPED_PATH).join(real)));
  }
}

/** The small service the drop-in is attached to, and the drop-in. */
function confinedService(dir: string, dropIn: string): string {
  writeFileSync(join(dir, `${SERVICE}.service`), `[Unit]
Description=A service that netns-run --unit confines (test)

[Service]
ExecStart=/bin/sleep infinity
`);
  mkdirSync(join(dir, `${SERVICE}.service.d`));
  writeFileSync(join(dir, `${SERVICE}.service.d`, `netns-${NAME}.conf`), dropIn);
  return `${SERVICE}.service`;
}

interface Verdict {
  readonly code: number | null;
  /** Lines that make the unit fail. */
  readonly counted: readonly string[];
  /** Warnings about the host's own unit files. */
  readonly foreign: readonly string[];
}

function verify(dir: string, unit: string): Verdict {
  const result = spawnSync('systemd-analyze', ['verify', ...(haveMan ? [] : ['--man=no']), join(dir, unit)], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, MANPATH: join(dir, 'man'), LC_ALL: 'C', SYSTEMD_COLORS: '0', SYSTEMD_PAGER: 'cat' },
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.trim() !== '');
  const isForeign = (line: string): boolean => {
    const file = /^(\/[^:\s]+):\d+: /.exec(line)?.[1];
    return file !== undefined && !file.startsWith(`${dir}/`);
  };
  return { code: result.status, counted: lines.filter((line) => !isForeign(line)), foreign: lines.filter(isForeign) };
}

function assertPasses(dir: string, unit: string): void {
  const verdict = verify(dir, unit);
  if (verdict.foreign.length > 0) process.stdout.write(`# ${unit}: warnings about the host's units, not counted:\n#   ${verdict.foreign.join('\n#   ')}\n`);
  assert.ok(verdict.code === 0 && verdict.counted.length === 0,
    `systemd-analyze verify ${unit} exited ${verdict.code} and printed:\n${verdict.counted.join('\n') || '(nothing)'}`);
}

function assertRejected(dir: string, unit: string, expected: RegExp): void {
  const verdict = verify(dir, unit);
  assert.ok(verdict.code !== 0 || verdict.counted.length > 0, `the checker let ${unit} pass with its mistake`);
  assert.match(verdict.counted.join('\n'), expected);
}

async function printedDropIn(name: string): Promise<string> {
  const result = await runProgram(NODE, [BIN, '--unit', name]);
  assert.is(result.code, 0, `netns-run --unit ${name} failed: ${result.stderr}`);
  assert.is(result.stderr, '');
  return result.stdout;
}

{

  test('units/ holds the template and the example, and they name netns-run as /usr/bin/netns-run', () => {
    const files = shippedUnits();
    assert.ok(files.includes(TEMPLATE), `units/ has no ${TEMPLATE}: ${files.join(' ')}`);
    assert.ok(files.includes(EXAMPLE), `units/ has no ${EXAMPLE}: ${files.join(' ')}`);
    for (const file of files) {
      const text = readFileSync(join(UNITS, file), 'utf8');
      for (const line of text.split('\n').filter((l) => /^Exec\w*=/.test(l) && /netns-run/.test(l))) {
        assert.ok(line.includes(`=${SHIPPED_PATH} `), `units/${file}: ${line}`);
      }
    }
  });

  test('the template makes %i with --ensure, tears it down with --down, stays active, and is wanted by multi-user.target', () => {
    const text = readFileSync(join(UNITS, TEMPLATE), 'utf8');
    const settings = text.split('\n').filter((line) => /^[A-Za-z]+=/.test(line));
    for (const expected of [
      'Type=oneshot',
      'RemainAfterExit=yes',
      `ExecStart=${SHIPPED_PATH} --ensure %i`,
      `ExecStop=${SHIPPED_PATH} --down %i`,
      'Documentation=man:netns-run(1)',
      'WantedBy=multi-user.target',
    ]) {
      assert.ok(settings.includes(expected), `${TEMPLATE} lacks ${expected}`);
    }
  });

  test('every shipped unit passes systemd-analyze verify', async () => {
    await inScratch((dir) => {
      copyUnits(dir);
      for (const file of shippedUnits()) assertPasses(dir, file);
    });
  });

  test(`the template instantiated for a name (netns-run@${NAME}.service) passes systemd-analyze verify`, async () => {
    await inScratch((dir) => {
      copyUnits(dir);
      assertPasses(dir, `netns-run@${NAME}.service`);
    });
  });

  test(`the example's Requires=netns-run@wg.service is found (the template copy is loaded, not an installed one)`, async () => {
    await inScratch((dir) => {
      copyUnits(dir, (file, text) => (file === TEMPLATE ? text.replace(/^Type=oneshot$/m, 'Type=oneshot\nNoSuchSetting=yes') : text));
      assertRejected(dir, EXAMPLE, /netns-run@\.service:\d+: Unknown key 'NoSuchSetting'/);
    });
  });

  test('the drop-in of `netns-run --unit NAME`, on a service next to the template, passes systemd-analyze verify', async () => {
    const dropIn = await printedDropIn(NAME);
    assert.match(dropIn, `NetworkNamespacePath=/run/netns/${NAME}\n`);
    assert.match(dropIn, `Requires=netns-run@${NAME}.service\n`);
    await inScratch((dir) => {
      copyUnits(dir);
      assertPasses(dir, confinedService(dir, dropIn));
    });
  });

  test('the checker rejects a broken line, an unknown key, a bad value and a missing program in a unit', async () => {
    const breakages: [string, (text: string) => string, RegExp][] = [
      ['a line without =', (text) => text.replace(/^RemainAfterExit=yes$/m, 'RemainAfterExit yes'), /Missing '='/],
      ['an unknown key', (text) => text.replace(/^\[Service\]$/m, '[Service]\nNoSuchSetting=yes'), /Unknown key 'NoSuchSetting'/],
      ['a misspelt Type=', (text) => text.replace(/^Type=oneshot$/m, 'Type=oneshott'), /Failed to parse service type/],
      ['a missing program', (text) => text.replace(/^ExecStart=\S+/m, 'ExecStart=/nonexistent/netns-run'), /\/nonexistent\/netns-run is not executable/],
    ];
    for (const [what, edit, expected] of breakages) {
      await inScratch((dir) => {
        copyUnits(dir, (file, text) => {
          if (file !== TEMPLATE) return text;
          const broken = edit(text);
          assert.is.not(broken, text, `could not put ${what} into the template`);
          return broken;
        });
        assertRejected(dir, TEMPLATE, expected);
        assertRejected(dir, `netns-run@${NAME}.service`, expected);
      });
    }
  });

  test('the checker rejects a mistake in the drop-in, so the drop-in is really read', async () => {
    const dropIn = (await printedDropIn(NAME)).replace(`NetworkNamespacePath=/run/netns/${NAME}`, `NetworkNamespacePath=run/netns/${NAME}`);
    await inScratch((dir) => {
      copyUnits(dir);
      assertRejected(dir, confinedService(dir, dropIn), /NetworkNamespacePath= path is not absolute/);
    });
  });

  withMan('the checker rejects a Documentation= page that does not exist', async () => {
    await inScratch((dir) => {
      copyUnits(dir, (file, text) => (file === EXAMPLE ? text.replace('man:netns-run(1)', 'man:netns-run-nonexistent(1)') : text));
      assertRejected(dir, EXAMPLE, /man netns-run-nonexistent\(1\)/);
    });
  });
}

test.run();
