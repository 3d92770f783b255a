// Tests grant their test users rights in the real /etc/netns-run.conf (the
// path is fixed: a configurable policy path would be a way around it). Each
// grant adds one line tagged with the test's pid and takes exactly that line
// back; a file the grant created is removed when it holds nothing else.
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export const POLICY_FILE = '/etc/netns-run.conf';

function write(text: string): void {
  const draft = `${POLICY_FILE}.nrt-${process.pid}`;
  writeFileSync(draft, text, { mode: 0o644 });
  chmodSync(draft, 0o644);
  renameSync(draft, POLICY_FILE);
}

/** Adds `line` to the policy; the returned function removes it again (idempotent). */
export function grant(line: string): () => void {
  const tagged = `${line} # nrt-${process.pid}`;
  const created = !existsSync(POLICY_FILE);
  write(`${created ? '' : readFileSync(POLICY_FILE, 'utf8').replace(/\n?$/, '\n')}${tagged}\n`);
  let revoked = false;
  return () => {
    if (revoked || !existsSync(POLICY_FILE)) return;
    revoked = true;
    const rest = readFileSync(POLICY_FILE, 'utf8').split('\n').filter((l) => l !== tagged).join('\n');
    if (created && rest.trim() === '') rmSync(POLICY_FILE, { force: true });
    else write(rest);
  };
}
