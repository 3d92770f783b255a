import { childProcesses, describeFailure, failed, runShort } from '../child.js';
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

/** Runs a privileged helper to completion; node:child_process is loaded on first use, so the warm path never pays for it. */
export async function runHelper(file: string, args: readonly string[], doing: string): Promise<string> {
  const outcome = await runShort(file, args, { env: HELPER_ENV, timeout: HELPER_TIMEOUT_MS });
  if (failed(outcome)) {
    const why = lastLine(outcome.stderr) || describeFailure(file, outcome, HELPER_TIMEOUT_MS);
    throw new NetnsRunError(`${doing} failed: ${why}`);
  }
  return outcome.stdout;
}

const HELPER_TIMEOUT_MS = 30_000;

/** The synchronous twin, for undo steps, which must also run from an exit handler. */
export async function loadSyncRunner(): Promise<(file: string, args: readonly string[]) => boolean> {
  const { spawnSync } = await childProcesses();
  return (file, args) => {
    const result = spawnSync(file, [...args], { env: { ...HELPER_ENV }, stdio: 'ignore', timeout: 10_000, killSignal: 'SIGKILL' });
    return result.error === undefined && result.status === 0;
  };
}
