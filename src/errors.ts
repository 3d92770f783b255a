// Exit statuses follow env(1), timeout(1) and chroot(1): a runner that execs
// another program must keep the target's own statuses readable, so netns-run
// reports its own failures with values a target rarely uses.

/** netns-run itself failed: bad usage, no privilege, refused, or setup failed. */
export const EXIT_FAILURE = 125;
/** The target was found but could not be executed (permissions, not a file). */
export const EXIT_CANNOT_EXECUTE = 126;
/** The target was not found. */
export const EXIT_NOT_FOUND = 127;

/**
 * The one error type netns-run raises on purpose. It carries the exit status
 * and a message that fits on one line of stderr: what went wrong, then what
 * to do about it. main.ts prints it; nothing else decides how netns-run ends.
 */
export class NetnsRunError extends Error {
  readonly status: number;

  constructor(message: string, status: number = EXIT_FAILURE) {
    super(message);
    this.name = 'NetnsRunError';
    this.status = status;
  }
}

/** A command-line mistake: the message says what was wrong with it. */
export class UsageError extends NetnsRunError {
  constructor(message: string) {
    super(`${message}; see 'netns-run --help'`, EXIT_FAILURE);
    this.name = 'UsageError';
  }
}

/** One line, whatever the message holds: a newline in a path must not forge a second line. */
export function oneLine(text: string): string {
  // C1 controls include NEL (a line break to some readers) and CSI (a terminal escape).
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}
