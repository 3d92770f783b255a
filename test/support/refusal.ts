// The one line a parser of netns-run's refuses its input with: a
// NetnsRunError, a single line, and where a place is given, starting with it
// (FILE:LINE: ). Shared by the unit tests of every parser of a file.
import * as assert from 'uvu/assert';
import { NetnsRunError } from '../../src/errors.js';

/** The message RUN refuses INPUT with; fails the test if RUN accepts it. */
export function oneLineRefusal(run: () => unknown, input: string, at?: string): string {
  try {
    run();
  } catch (error) {
    assert.instance(error, NetnsRunError);
    const message = (error as Error).message;
    if (at !== undefined) assert.ok(message.startsWith(at), `expected ${at}..., got ${message}`);
    assert.not.match(message, /\n/, 'one line');
    return message;
  }
  assert.unreachable(`accepted: ${JSON.stringify(input)}`);
  return '';
}
