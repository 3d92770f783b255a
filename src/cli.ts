import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';
import { checkName } from './name.js';

/** What the caller asked for, as parsed from the command line and nothing else. */
export interface RunRequest {
  readonly kind: 'run';
  readonly name: string;
  readonly command: readonly string[];
}

/** --help and --version were answered by yargs; nothing is left to do. */
export interface AnsweredRequest {
  readonly kind: 'answered';
}

export type Request = RunRequest | AnsweredRequest;

const USAGE = `Usage: $0 [OPTIONS] NAME [--] COMMAND [ARGS...]

Run COMMAND inside the network namespace NAME (/run/netns/NAME) as yourself:
your uid, gids and current directory, with NAME's own resolv.conf and
nsswitch.conf, so that name lookups stay inside the namespace too. The
namespace is made on first use. Everything after NAME belongs to COMMAND.`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Options come before NAME; everything after NAME belongs to the command, so
 * `netns-run wg curl -v` never reads -v as ours. yargs parses the options and
 * stops at NAME ('halt-at-non-option'); the raw rest arrives in argv['--'].
 */
export async function parseCommandLine(args: readonly string[]): Promise<Request> {
  const { default: yargs } = await import('yargs');
  let failure: string | undefined;
  const parser = yargs([...args])
    .scriptName('netns-run')
    .usage(USAGE)
    .example('$0 wg -- curl ifconfig.me', 'fetch a page through the namespace wg')
    .example('sudo $0 wg -- id', 'as a user through sudo: prints your own ids')
    .example("alias wgcurl='netns-run wg -- curl'", 'a shell alias')
    .example('ExecStart=/usr/bin/netns-run wg -- /usr/bin/transmission-daemon -f', 'a systemd service')
    .epilog('Exit status: the command\'s own; 125 if netns-run fails, 126 if COMMAND cannot be executed, 127 if it is not found.\nSee netns-run(1).')
    .parserConfiguration({ 'halt-at-non-option': true, 'populate--': true })
    .strictOptions()
    .help('help')
    .alias('help', 'h')
    .version('version', 'show the version and exit', version())
    .alias('version', 'V')
    .wrap(Math.min(100, process.stdout.columns || 80))
    .exitProcess(false)
    .fail((message, error) => {
      failure = message || error?.message || 'invalid command line';
    });
  const argv = await parser.parseAsync();
  if (failure !== undefined) throw new UsageError(failure.replace(/^Unknown arguments?: /, 'unknown option: '));
  if (argv.help || argv.version) return { kind: 'answered' };
  return toRunRequest((argv['--'] as string[] | undefined) ?? []);
}

function toRunRequest(rest: readonly string[]): RunRequest {
  const [name, ...after] = rest;
  if (name === undefined) throw new UsageError('missing namespace NAME');
  checkName(name);
  const command = after[0] === '--' ? after.slice(1) : after;
  if (after[0] !== '--' && after[0]?.startsWith('-')) {
    throw new UsageError(`unexpected option ${JSON.stringify(after[0])} after NAME: options go before NAME, the command after '--'`);
  }
  if (command.length === 0) throw new UsageError(`missing COMMAND: netns-run ${name} -- COMMAND [ARGS...]`);
  if (command[0] === '') throw new UsageError('COMMAND is an empty string');
  return { kind: 'run', name, command };
}
