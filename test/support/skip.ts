// How a test says it did not run. uvu counts `test.skip` registrations itself
// ("Skipped: N"); test/run.mjs adds them to its summary. A test that finds
// out only while running that it cannot check what it is for calls skip(),
// which throws; a test registered through skippable() catches that, prints
// one "SKIP: reason" line and ends, and test/run.mjs counts that line as a
// skip instead of a pass. A skip() in a test not registered through
// skippable() fails that test: it can never pass silently.
import type { Test } from 'uvu';

const MARK = Symbol('netns-run test skip');

class Skipped extends Error {
  readonly [MARK] = true;
  // The message is what uvu shows when the test was not registered through skippable().
  constructor(readonly reason: string) {
    super(`skip(${JSON.stringify(reason)}) in a test not registered through skippable(): a failure, not a skip`);
  }
}

/** The line test/run.mjs counts: one per skipped test, on a line of its own. */
export const SKIP_MARKER = 'SKIP: ';

/** Ends the running test as skipped; only inside a test registered through skippable(). */
export function skip(reason: string): never {
  throw new Skipped(reason);
}

/** Whether ERROR is skip()'s: the test ends as skipped, not failed. */
export function isSkip(error: unknown): error is Skipped {
  return typeof error === 'object' && error !== null && MARK in error;
}

type Handler = (context: never) => unknown;

/**
 * TEST whose registrations may call skip(); and, when REASON is given, whose
 * every registration is skipped (uvu's test.skip, counted by uvu) with the
 * reason printed once. Hooks stay TEST's own.
 */
export function skippable(test: Test, reason?: string): Test {
  if (reason) process.stdout.write(`# skipped here: ${reason}\n`);
  const register = (name: string, handler: Handler) => {
    if (reason) return test.skip(name, handler as never);
    return test(name, (async (context: never) => {
      try {
        await handler(context);
      } catch (error) {
        if (!isSkip(error)) throw error;
        process.stdout.write(`\n${SKIP_MARKER}${name}: ${error.reason.replace(/\n/g, ' ')}\n`);
      }
    }) as never);
  };
  return Object.assign(register, test, { only: test.only, skip: test.skip, before: test.before, after: test.after, run: test.run }) as unknown as Test;
}
