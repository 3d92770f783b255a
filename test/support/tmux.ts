// A private tmux server for tests that type at a real terminal: its own
// socket name (tmux -L), no configuration file, killed by kill() which tests
// call from an after hook. Keys go in with send-keys, the screen comes back
// with capture-pane; waitFor() polls the screen with a bounded wait instead
// of sleeping for a fixed time.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
}

export class TmuxServer {
  readonly socket: string;
  private started = false;

  constructor(socket: string) {
    this.socket = socket;
  }

  /** Runs `tmux -L SOCKET -f /dev/null ARGS...`; throws with its stderr if it fails. */
  run(args: readonly string[]): string {
    const result = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`tmux ${args.join(' ')} failed (${result.status}): ${(result.stderr ?? '').trim()}`);
    }
    return result.stdout;
  }

  /**
   * Starts the server with one idle window that keeps it alive, wide enough
   * that a command line and a list of completions do not wrap. Panes stay on
   * screen after their program exits, so a shell that dies shows why.
   */
  start(width = 200, height = 50): void {
    this.run(['new-session', '-d', '-s', 'main', '-n', 'idle', '-x', String(width), '-y', String(height), 'sleep', '100000']);
    this.started = true;
    this.run(['set-option', '-g', 'remain-on-exit', 'on']);
    this.run(['set-option', '-g', 'default-size', `${width}x${height}`]);
    this.run(['set-option', '-g', 'history-limit', '0']);
  }

  /** Opens a window running argv directly (no shell in between); returns its pane id. */
  open(argv: readonly string[]): string {
    return this.run(['new-window', '-d', '-t', 'main:', '-P', '-F', '#{pane_id}', ...argv]).trim();
  }

  /** Types text literally, without interpreting key names. */
  type(pane: string, text: string): void {
    this.run(['send-keys', '-t', pane, '-l', text]);
  }

  /** Presses one key by its tmux name: Tab, Enter, C-c... */
  press(pane: string, key: string): void {
    this.run(['send-keys', '-t', pane, key]);
  }

  /** The visible screen of the pane, one string, trailing blanks trimmed per line. */
  screen(pane: string): string {
    return this.run(['capture-pane', '-p', '-t', pane])
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .trimEnd();
  }

  /**
   * Polls the screen until done(screen) holds or timeoutMs passes, and
   * returns the last screen either way: the caller asserts on it, so a
   * timeout fails with what the screen showed, never with a time.
   */
  async waitFor(pane: string, done: (screen: string) => boolean, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = this.screen(pane);
    while (!done(screen) && Date.now() < deadline) {
      await delay(50);
      screen = this.screen(pane);
    }
    return screen;
  }

  close(pane: string): void {
    spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'kill-pane', '-t', pane], { stdio: 'ignore' });
  }

  /** Kills the server and everything running in it, and removes its socket. */
  kill(): void {
    if (this.started) spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'kill-server'], { stdio: 'ignore' });
    this.started = false;
    const uid = process.getuid?.() ?? 0;
    const path = join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${uid}`, this.socket);
    if (existsSync(path)) rmSync(path, { force: true });
  }
}
