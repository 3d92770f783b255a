import { NetnsRunError, oneLine } from '../errors.js';
import { TRUSTED_PATH } from '../tools.js';

/** Helpers run as root see nothing of the caller's environment. */
export const HELPER_ENV: Readonly<Record<string, string>> = { PATH: TRUSTED_PATH, LC_ALL: 'C' };

/** The last line a failed helper printed: usually the one that says why. */
export function lastLine(text: string): string {
  // mount(8) ends its failures with a pointer to dmesg; the reason is the line before.
  const lines = text.trim().split('\n').filter((line) => line.trim() && !/dmesg\(1\) may have more information/.test(line));
  return oneLine(lines[lines.length - 1] ?? '');
}

/**
 * Runs a privileged helper to completion. execa is loaded here, on first
 * use, so the warm path (nothing to make) never pays for it.
 */
export async function runHelper(file: string, args: readonly string[], doing: string): Promise<string> {
  const { execa } = await import('execa');
  const result = await execa(file, args, { env: HELPER_ENV, extendEnv: false, reject: false, stdin: 'ignore', timeout: 30_000 });
  if (result.failed) {
    const why = lastLine(String(result.stderr)) || result.shortMessage;
    throw new NetnsRunError(`${doing} failed: ${why}`);
  }
  return String(result.stdout);
}

/** The synchronous twin, for undo steps, which must also run from an exit handler. */
export async function loadSyncRunner(): Promise<(file: string, args: readonly string[]) => boolean> {
  const { execaSync } = await import('execa');
  return (file, args) =>
    !execaSync(file, args, { env: HELPER_ENV, extendEnv: false, reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', timeout: 10_000 }).failed;
}
