type Stream = 'stdin' | 'stdout' | 'stderr';
type WithHandle = { _handle?: { setBlocking?(blocking: boolean): unknown } };

/**
 * Node sets a pipe on fd 0, 1 or 2 non-blocking once its stream object
 * exists (yargs and execa create them), and that flag lives on the open file
 * description the target shares. A target that writes a pipe non-blocking
 * loses data on EAGAIN ("cat: write error: Resource temporarily
 * unavailable"), so the descriptors go back to blocking before the target
 * gets them. Node offers no public call for this; the stream handles'
 * setBlocking is what Node itself uses for the same purpose.
 *
 * Only streams Node actually made are touched: making one just to fix it
 * costs time, and a descriptor Node never wrapped is as the caller left it
 * (blocking or not). Node makes them lazily in process.stdin/stdout/stderr's
 * getters, so those are wrapped to note the first use.
 */
export class StdioWatch {
  private readonly made = new Set<Stream>();

  constructor() {
    for (const name of ['stdin', 'stdout', 'stderr'] as const) {
      const original = Object.getOwnPropertyDescriptor(process, name);
      if (original?.get === undefined || !original.configurable) {
        this.made.add(name); // not lazy here: treat as made
        continue;
      }
      const made = this.made;
      Object.defineProperty(process, name, {
        configurable: true,
        enumerable: original.enumerable ?? true,
        get() {
          made.add(name);
          return original.get!.call(process);
        },
      });
    }
  }

  /** Puts every stream Node made back into blocking mode. */
  blocking(): void {
    for (const name of this.made) ((process[name] as unknown) as WithHandle)._handle?.setBlocking?.(true);
  }
}
