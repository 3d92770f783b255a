// yargs, configured: loaded only when the command line is not the common
// `NAME [--] COMMAND...` (see quickParse in cli.ts), because loading yargs
// costs more than everything else netns-run does on the warm path. This
// module imports nothing of netns-run's own: it returns what yargs made of
// the words, and cli.ts turns that into a Request or a UsageError. (So a
// bundle can keep it in a file of its own without a second copy of our
// error classes.)
import yargs from 'yargs';

export interface ParserSettings {
  readonly usage: string;
  readonly version: () => string;
  /** The terminal's width, asked only now: touching process.stdout makes a stream object. */
  readonly columns: () => number | undefined;
}

export interface Parsed {
  readonly argv: Record<string, unknown> & { readonly help?: unknown; readonly version?: unknown };
  /** yargs' own message when it refused the words. */
  readonly failure?: string;
}

export async function parseOptions(args: readonly string[], settings: ParserSettings): Promise<Parsed> {
  let failure: string | undefined;
  const parser = yargs([...args])
    // yargs would pick its message file by the caller's locale variables,
    // which under a setuid wrapper could name any file root can read.
    .detectLocale(false)
    .scriptName('netns-run')
    .usage(settings.usage)
    .option('list', { alias: 'l', type: 'boolean', description: 'list the namespaces in /run/netns and their state' })
    .option('status', { type: 'string', requiresArg: true, description: 'show the state of NAME and why it is not usable', defaultDescription: undefined })
    .option('ensure', { type: 'string', requiresArg: true, description: 'make NAME and its mount namespace, run nothing' })
    .option('down', { type: 'string', requiresArg: true, description: 'tear NAME down (the network namespace only if netns-run made it)' })
    .option('force', { type: 'boolean', description: 'with --down: delete the network namespace even if netns-run did not make it' })
    .option('unit', { type: 'string', requiresArg: true, description: 'print a systemd drop-in confining a service to NAME' })
    .option('json', { type: 'boolean', description: 'with --list or --status: print JSON' })
    .option('user', { alias: 'u', type: 'string', requiresArg: true, description: 'root only: run COMMAND as USER (name or uid)' })
    .option('chdir', { alias: 'C', type: 'string', requiresArg: true, description: 'start COMMAND in DIR instead of the current directory' })
    // netns-run's own self-elevation names its hand-over file with it (see handover.ts); not for people.
    .option('caller-env', { type: 'string', requiresArg: true, hidden: true })
    .conflicts({ list: ['status', 'ensure', 'down', 'unit'], status: ['ensure', 'down', 'unit'], ensure: ['down', 'unit'], down: ['unit'] })
    .example('$0 wg -- curl ifconfig.me', 'fetch a page through the namespace wg')
    .example('sudo $0 wg -- id', 'as a user through sudo: prints your own ids')
    .example('sudo $0 wg', 'a shell in wg ($NETNS_RUN_NAME is set for a prompt)')
    .example("alias wgcurl='sudo netns-run wg -- curl'", 'a shell alias')
    .example('ExecStart=/usr/bin/netns-run wg -- /usr/bin/transmission-daemon -f', 'a systemd service')
    .example('$0 --list', 'the namespaces and their state')
    .epilog("Exit status: the command's own; 125 if netns-run fails, 126 if COMMAND cannot be executed, 127 if it is not found; --status: 0 if usable, 1 if not.\nSee netns-run(1).")
    // The command's words are data: '007' must stay '007', never become the number 7.
    .parserConfiguration({ 'halt-at-non-option': true, 'populate--': true, 'parse-numbers': false, 'parse-positional-numbers': false })
    .strictOptions()
    .help('help', 'show this help and exit')
    .alias('help', 'h')
    .version('version', 'show the version and exit', settings.version())
    .alias('version', 'V')
    .wrap(Math.min(100, settings.columns() || 80))
    .exitProcess(false)
    .fail((message, error) => {
      failure = message || error?.message || 'invalid command line';
    });
  const argv = await parser.parseAsync();
  return failure === undefined ? { argv } : { argv, failure };
}
