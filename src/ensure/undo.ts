type OnExit = typeof import('signal-exit').onExit;

let onExitHook: OnExit | undefined;

/** An Undo, with signal-exit loaded on first use: only the cold path (something to make) needs it. */
export async function newUndo(): Promise<Undo> {
  onExitHook ??= (await import('signal-exit')).onExit;
  return new Undo(onExitHook);
}

/**
 * What a failed or interrupted setup must take back, newest first. Every
 * action is synchronous so that it can also run from an exit handler when
 * netns-run is killed half-way (SIGKILL excepted: nothing can run then, and
 * the next call repairs what it finds).
 */
export class Undo {
  private readonly actions: { what: string; action: () => void }[] = [];
  private readonly removeExitHandler: () => void;

  constructor(onExit: OnExit) {
    this.removeExitHandler = onExit(() => {
      this.rollback();
    });
  }

  push(what: string, action: () => void): void {
    this.actions.push({ what, action });
  }

  /** Takes everything back; an action that fails does not stop the others. Returns what could not be undone. */
  rollback(): string[] {
    const failed: string[] = [];
    for (const { what, action } of this.actions.splice(0).reverse()) {
      try {
        action();
      } catch (error) {
        // Gone already (someone removed it, or a later step took it along) is what undoing wanted.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') failed.push(what);
      }
    }
    this.removeExitHandler();
    return failed;
  }

  /** Setup succeeded: keep everything. */
  commit(): void {
    this.actions.length = 0;
    this.removeExitHandler();
  }
}
