// Digests and random names, with node:crypto taken on first use: loading
// it at start would bring some 40 of Node's own modules into --list and
// --status, which hash nothing (docs/performance.md, the set-up chunk).

function crypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}

/** SHA-256 of the parts, each followed by a NUL when there are several, in hex. */
export function sha256(...parts: readonly (string | Uint8Array)[]): string {
  const hash = crypto().createHash('sha256');
  parts.forEach((part, index) => {
    if (index > 0) hash.update('\0');
    hash.update(part);
  });
  return hash.digest('hex');
}

/** BYTES random bytes in hex: temporary interface names, process tags. */
export function randomHex(bytes: number): string {
  return crypto().randomBytes(bytes).toString('hex');
}
