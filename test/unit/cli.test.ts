import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommandLine, parseWithYargs, quickAction, quickParse, type Request } from '../../src/cli.js';
import { NetnsRunError, UsageError } from '../../src/errors.js';

/** Runs parseCommandLine with stdout captured: --help and --version print there. */
async function parseCapturing(args: readonly string[], parse = parseCommandLine): Promise<{ request: Request; stdout: string }> {
  const write = process.stdout.write;
  let stdout = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { request: await parse(args), stdout };
  } finally {
    process.stdout.write = write;
  }
}

async function run(args: readonly string[]): Promise<{ name: string; command: readonly string[] }> {
  const { request, stdout } = await parseCapturing(args);
  assert.is(stdout, '', `${JSON.stringify(args)} printed to stdout`);
  assert.is(request.kind, 'run', `${JSON.stringify(args)} was not a run request`);
  if (request.kind !== 'run') throw new Error('unreachable');
  return { name: request.name, command: request.command };
}

/** The error parseCommandLine throws for args; fails the test if it accepts them. */
async function refusal(args: readonly string[]): Promise<NetnsRunError> {
  try {
    await parseCapturing(args);
  } catch (error) {
    assert.instance(error, NetnsRunError, `${JSON.stringify(args)}: not a NetnsRunError: ${String(error)}`);
    const failure = error as NetnsRunError;
    assert.is(failure.status, 125, `${JSON.stringify(args)}: status`);
    assert.not.match(failure.message, /[\r\n]/, `${JSON.stringify(args)}: message is not one line`);
    assert.ok(failure.message.length > 0);
    return failure;
  }
  assert.unreachable(`accepted ${JSON.stringify(args)}`);
  throw new Error('unreachable');
}

async function usageRefusal(args: readonly string[]): Promise<UsageError> {
  const failure = await refusal(args);
  assert.instance(failure, UsageError, `${JSON.stringify(args)}: not a UsageError: ${failure.message}`);
  assert.match(failure.message, /see 'netns-run --help'$/);
  return failure as UsageError;
}

test('NAME -- COMMAND ARGS: the command keeps its own options', async () => {
  assert.equal(await run(['wg', '--', 'curl', '-v']), { name: 'wg', command: ['curl', '-v'] });
});

test('NAME COMMAND ARGS without --: options after the command are the command\'s', async () => {
  assert.equal(await run(['wg', 'curl', '-v']), { name: 'wg', command: ['curl', '-v'] });
  assert.equal(await run(['wg', 'x', '--help']), { name: 'wg', command: ['x', '--help'] });
});

test('-- before NAME', async () => {
  assert.equal(await run(['--', 'wg', 'x']), { name: 'wg', command: ['x'] });
});

test('--help after NAME -- belongs to the command, not to netns-run', async () => {
  assert.equal(await run(['wg', '--', '--help']), { name: 'wg', command: ['--help'] });
  assert.equal(await run(['wg', '--', '--version']), { name: 'wg', command: ['--version'] });
});

test('only the first -- after NAME is ours; a second one is an argument', async () => {
  assert.equal(await run(['wg', '--', 'sh', '-c', 'echo "$@"', '--', 'a']), { name: 'wg', command: ['sh', '-c', 'echo "$@"', '--', 'a'] });
  assert.equal(await run(['wg', '--', '--', 'x']), { name: 'wg', command: ['--', 'x'] });
});

test('arguments are passed through verbatim: spaces, empty strings, newlines', async () => {
  assert.equal(await run(['wg', '--', 'printf', '%s\n', '', 'a b', 'c\nd']), { name: 'wg', command: ['printf', '%s\n', '', 'a b', 'c\nd'] });
});

test('missing NAME', async () => {
  const failure = await usageRefusal([]);
  assert.match(failure.message, /NAME/);
  await usageRefusal(['--']);
});

test('bad NAME is refused with 125 and says why', async () => {
  for (const name of ['../x', 'a/b', '.x', 'a b', 'x'.repeat(65)]) {
    const failure = await refusal([name, '--', 'true']);
    assert.match(failure.message, /invalid namespace name/);
  }
  // After '--' a leading dash cannot be an option of ours, so it is a name, and a bad one.
  const failure = await refusal(['--', '--help']);
  assert.match(failure.message, /invalid namespace name "--help"/);
});

test('numbers, signs and leading zeros in the command stay the strings they were', async () => {
  const words = ['007', '2', '0.1', '-5', '1e3', '0x10', 'Infinity', 'NaN', ' 1', 'true'];
  assert.equal(await run(['wg', '--', 'printf', ...words]), { name: 'wg', command: ['printf', ...words] });
  assert.equal(await run(['wg', 'sleep', '2']), { name: 'wg', command: ['sleep', '2'] });
  assert.equal(await run(['007', '--', 'true']), { name: '007', command: ['true'] });
  assert.equal(await parseCommandLine(['--status', '007']), { kind: 'status', name: '007', json: false });
});

test('no COMMAND means the caller\'s shell: an empty command, with or without --', async () => {
  for (const args of [['wg'], ['wg', '--']]) {
    assert.equal(await parseCommandLine(args), { kind: 'run', name: 'wg', command: [] });
  }
});

test('management actions take NAME as their value and refuse a command', async () => {
  assert.equal(await parseCommandLine(['--list']), { kind: 'list', json: false });
  assert.equal(await parseCommandLine(['-l', '--json']), { kind: 'list', json: true });
  assert.equal(await parseCommandLine(['--status', 'wg', '--json']), { kind: 'status', name: 'wg', json: true });
  assert.equal(await parseCommandLine(['--ensure', 'wg']), { kind: 'ensure', name: 'wg' });
  assert.equal(await parseCommandLine(['--down', 'wg', '--force']), { kind: 'down', name: 'wg', force: true });
  assert.equal(await parseCommandLine(['--unit', 'wg']), { kind: 'unit', name: 'wg' });
  // A namespace may be called "list": as a word it is a name, never an action.
  assert.equal(await parseCommandLine(['list', '--', 'id']), { kind: 'run', name: 'list', command: ['id'] });
  assert.match((await usageRefusal(['--list', 'wg'])).message, /--list takes no command/);
  assert.match((await usageRefusal(['--status'])).message, /--status needs a namespace NAME/);
  assert.match((await refusal(['--status', '../x'])).message, /invalid namespace name/);
  assert.match((await usageRefusal(['--list', '--down', 'wg'])).message, /--list and --down cannot be used together/);
  assert.match((await usageRefusal(['--force', 'wg'])).message, /--force goes with --down/);
  assert.match((await usageRefusal(['--json', 'wg', '--', 'id'])).message, /--json goes with --list or --status/);
});

test('a bundle of one-letter options with an unknown letter is refused, even with h or V in it', async () => {
  for (const bundle of ['-nh', '-hn', '-Vx', '-lhz']) {
    const { stdout, failure } = await parseCapturing([bundle, 'wg', '--', 'true']).then(
      (done) => ({ stdout: done.stdout, failure: undefined as unknown }),
      (error: unknown) => ({ stdout: '', failure: error }),
    );
    assert.is(stdout, '', `${bundle}: printed help or version`);
    assert.instance(failure, UsageError, `${bundle}: not refused`);
    const letter = bundle.replace(/[-lhV]/g, '')[0];
    assert.match((failure as UsageError).message, new RegExp(`^unknown option -${letter}\\b`), bundle);
    assert.is((failure as UsageError).status, 125);
  }
  // Known letters still bundle, and a value-taking letter ends the bundle.
  assert.equal(await parseCommandLine(['-l', '--json']), { kind: 'list', json: true });
  assert.equal(await parseCommandLine(['-ualice', 'wg', '--', 'id']), { kind: 'run', name: 'wg', command: ['id'], user: 'alice' });
});

test('-u/--user and -C/--chdir without a value say what they take', async () => {
  for (const [args, what] of [[['-u'], /^-u needs a USER/], [['--user'], /^--user needs a USER/], [['-C'], /^-C needs a directory DIR/], [['--chdir'], /^--chdir needs a directory DIR/]] as const) {
    const message = (await usageRefusal(args)).message;
    assert.match(message, what, JSON.stringify(args));
    assert.not.match(message, /namespace/, JSON.stringify(args));
  }
});

test('every order of an action and its modifiers parses the same', async () => {
  for (const args of [['--down', '--force', 'wg'], ['--force', '--down', 'wg'], ['--down', 'wg', '--force']]) {
    assert.equal(await parseCommandLine(args), { kind: 'down', name: 'wg', force: true }, args.join(' '));
  }
  for (const args of [['--status', '--json', 'wg'], ['--json', '--status', 'wg'], ['--status', 'wg', '--json']]) {
    assert.equal(await parseCommandLine(args), { kind: 'status', name: 'wg', json: true }, args.join(' '));
  }
  // What follows NAME is still the command's.
  assert.equal(await parseCommandLine(['wg', '--', 'x', '--down', '--force']), { kind: 'run', name: 'wg', command: ['x', '--down', '--force'] });
});

test('--caller-env: the hand-over of self-elevation, on the quick path and the yargs path', async () => {
  assert.equal(quickParse(['--caller-env=/tmp/x/caller-env', 'wg', '--', 'id']), { kind: 'run', name: 'wg', command: ['id'], callerEnv: '/tmp/x/caller-env' });
  assert.equal(await parseWithYargs(['--caller-env=/tmp/x/caller-env', '--chdir', '/srv', '--', 'wg', '--', 'id']), {
    kind: 'run', name: 'wg', command: ['id'], chdir: '/srv', callerEnv: '/tmp/x/caller-env',
  });
  assert.equal(await parseCommandLine(['--caller-env=/f', '--down', 'wg']), { kind: 'down', name: 'wg', force: false, callerEnv: '/f' });
  assert.match((await usageRefusal(['--caller-env=/f', '--list'])).message, /--caller-env goes with a run/);
});

test('a mistyped option gets a suggestion', async () => {
  assert.match((await usageRefusal(['--lsit'])).message, /unknown option --lsit \(did you mean --list\?\)/);
  assert.match((await usageRefusal(['--stauts', 'wg'])).message, /did you mean --status\?/);
  assert.not.match((await usageRefusal(['--zzzzzz'])).message, /did you mean/);
});

test('unknown option before NAME names the option', async () => {
  const failure = await usageRefusal(['--bogus', 'wg', 'x']);
  assert.match(failure.message, /unknown option/);
  assert.match(failure.message, /bogus/);
  const short = await usageRefusal(['-x', 'wg', 'y']);
  assert.match(short.message, /unknown option/);
});

test('an option right after NAME is refused: options go before NAME', async () => {
  for (const args of [['wg', '--bogus', '--', 'x'], ['wg', '-v'], ['wg', '--help']]) {
    const failure = await usageRefusal(args);
    assert.match(failure.message, /after NAME/);
    assert.match(failure.message, new RegExp(JSON.stringify(args[1]!)));
  }
});

test('an empty command string is refused', async () => {
  for (const args of [['wg', '--', ''], ['wg', '', 'x']]) {
    const failure = await usageRefusal(args);
    assert.match(failure.message, /empty/);
  }
});

test('--help and -h print the usage and are answered', async () => {
  for (const flag of ['--help', '-h']) {
    const { request, stdout } = await parseCapturing([flag]);
    assert.equal(request, { kind: 'answered' });
    assert.match(stdout, /netns-run \[--user USER\] \[--chdir DIR\] \[--\] NAME \[--\] \[COMMAND \[ARGS\.\.\.\]\]/);
    assert.match(stdout, /Exit status/);
  }
  const { request } = await parseCapturing(['--help', 'wg', 'x']);
  assert.equal(request, { kind: 'answered' });
});

test('--version and -V print the package version and are answered', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const { request, stdout } = await parseCapturing([flag]);
    assert.equal(request, { kind: 'answered' });
    assert.is(stdout.trim(), pkg.version);
  }
});

// ---- the quick route: the common call without yargs -------------------------

/** What the yargs route makes of args: the Request, or the message it refuses them with. */
async function viaYargs(args: readonly string[]): Promise<Request | string> {
  try {
    return (await parseCapturing(args, parseWithYargs)).request;
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

test('the quick route takes the common calls', () => {
  assert.equal(quickParse(['wg', '--', 'curl', '-v']), { kind: 'run', name: 'wg', command: ['curl', '-v'] });
  assert.equal(quickParse(['wg', 'curl', '-v']), { kind: 'run', name: 'wg', command: ['curl', '-v'] });
  assert.equal(quickParse(['wg']), { kind: 'run', name: 'wg', command: [] });
  assert.equal(quickParse(['wg', '--']), { kind: 'run', name: 'wg', command: [] });
  assert.equal(quickParse(['--', 'wg', '--', 'id']), { kind: 'run', name: 'wg', command: ['id'] });
  assert.equal(quickParse(['wg', '--', '-x']), { kind: 'run', name: 'wg', command: ['-x'] });
  assert.equal(quickParse(['wg', '--', '--', 'x']), { kind: 'run', name: 'wg', command: ['--', 'x'] });
});

test('the quick route declines what needs yargs: options, bad names, mistakes', () => {
  const declined = [
    [], ['--'], ['--', '--'], ['--help'], ['-h'], ['--list'], ['-l'], ['--user', 'root', 'wg'], ['-C', '/', 'wg'], ['--status', 'wg'],
    ['wg', '--list'], ['wg', '-x'], ['wg', '--help'], ['-wg', 'x'], ['--', '-wg'], ['--', '--help'], [''], ['', 'x'], ['.x'], ['a/b'],
    ['x'.repeat(65)], ['wg', ''], ['wg', '--', ''], ['wg', '-'], ['-'], ['---'], ['wg\nx'],
  ];
  for (const args of declined) assert.is(quickParse(args), undefined, JSON.stringify(args));
});

test('the quick route answers exactly as yargs does, or leaves the call to yargs', async () => {
  const words = ['wg', '--', '-x', '--help', '', 'id', 'list', '--list', '-', '007', '-h', '--user', '.x', 'a b', '--version', 'help'];
  const corpus: string[][] = [[]];
  for (let length = 1; length <= 3; length += 1) {
    const previous = corpus.filter((args) => args.length === length - 1);
    for (const args of previous) for (const word of words) corpus.push([...args, word]);
  }
  corpus.push(
    ['x'.repeat(64), '--', 'true'], ['x'.repeat(65)], ['-wg', '--', 'id'], ['--', '--', 'wg'], ['wg', '--', '--', '--'], ['wg', '--', '-', '--help'],
    ['a.b-c_d', 'sh', '-c', 'echo "$@"', '--', 'a'], ['007', '--', '007'], ['wg', 'printf', '%s\n', '', 'c\nd'], ['wg=1', 'x'], ['wg', 'x=1'],
    ['--', 'wg', '-x'], ['--', 'wg', 'x', '--help'], ['help', '--', 'x'], ['version'], ['completion'], ['$0'], ['wg', '--', '$0'],
  );
  let quick = 0;
  for (const args of corpus) {
    const fast = quickParse(args);
    if (fast === undefined) continue;
    quick += 1;
    assert.equal(fast, await viaYargs(args), JSON.stringify(args));
  }
  // The corpus does exercise the quick route, not only the declines.
  assert.ok(quick > 100, `only ${quick} of ${corpus.length} took the quick route`);
});

test('the quick route for the actions answers exactly as yargs does, or leaves the call to yargs', async () => {
  const words = ['--list', '-l', '--json', '--force', '--status', '--ensure', '--down', '--unit', 'wg', '--', '-x', '../x'];
  const corpus: string[][] = [[]];
  for (let length = 1; length <= 4; length += 1) {
    const previous = corpus.filter((args) => args.length === length - 1);
    for (const args of previous) for (const word of words) if (length < 4 || args.includes('wg')) corpus.push([...args, word]);
  }
  let quick = 0;
  for (const args of corpus) {
    const fast = quickAction(args);
    if (fast === undefined) continue;
    quick += 1;
    assert.equal(fast, await viaYargs(args), JSON.stringify(args));
  }
  assert.ok(quick >= 10, `only ${quick} of ${corpus.length} took the quick route`);
  for (const args of [['--list'], ['--json', '--list'], ['--status', 'wg', '--json'], ['--down', 'wg', '--force'], ['--force', '--down', 'wg'], ['--ensure', 'wg'], ['--unit', 'wg'], ['-l']]) {
    assert.ok(quickAction(args) !== undefined, `${JSON.stringify(args)} took yargs`);
  }
});

test('parseCommandLine loads no yargs for the common call', async () => {
  // A resolve hook makes yargs impossible to load: the common call must not notice, an option must.
  const { spawnSync } = await import('node:child_process');
  const hook = `data:text/javascript,export async function resolve(s, c, next) { if (s === 'yargs') throw new Error('yargs was loaded'); return next(s, c); }`;
  const cli = JSON.stringify(new URL('../../src/cli.js', import.meta.url).href);
  const script = (args: readonly string[]) => `
    import { register } from 'node:module';
    register(${JSON.stringify(hook)});
    const { parseCommandLine } = await import(${cli});
    try { console.log(JSON.stringify(await parseCommandLine(${JSON.stringify(args)}))); } catch (error) { console.log(error.message); }
  `;
  const run = (args: readonly string[]) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', script(args)], { encoding: 'utf8' }).stdout.trim();
  assert.equal(JSON.parse(run(['wg', '--', 'curl', '-v'])), { kind: 'run', name: 'wg', command: ['curl', '-v'] });
  // Nor for the actions as people type them; anything else loads it.
  assert.equal(JSON.parse(run(['--status', 'wg', '--json'])), { kind: 'status', name: 'wg', json: true });
  assert.match(run(['--lsit']), /yargs was loaded/);
});

test.run();
