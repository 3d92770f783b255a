type WithHandle = { _handle?: { setBlocking?(blocking: boolean): unknown } };

/**
 * Node sets a pipe on fd 0, 1 or 2 non-blocking once its stream object
 * exists (yargs and execa create them), and that flag lives on the open file
 * description the target shares. A target that writes a pipe non-blocking
 * loses data on EAGAIN ("cat: write error: Resource temporarily
 * unavailable"), so the descriptors go back to blocking before the target
 * gets them. Node offers no public call for this; the stream handles'
 * setBlocking is what Node itself uses for the same purpose.
 */
export function blockingStdio(): void {
  for (const stream of [process.stdin, process.stdout, process.stderr]) {
    (stream as unknown as WithHandle)._handle?.setBlocking?.(true);
  }
}
