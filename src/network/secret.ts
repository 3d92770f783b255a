// A WireGuard private or preshared key in memory. It is handed on only
// through reveal(), at the one place that writes it to wg(8)'s stdin: an
// object that holds one can be printed, logged or put in --json output and
// shows "(secret)" instead of the key.

const HIDDEN = '(secret)';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The key itself: only for wg(8)'s stdin. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return HIDDEN;
  }

  toJSON(): string {
    return HIDDEN;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return HIDDEN;
  }
}
