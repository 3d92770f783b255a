// Runs netns-run on a different "host" without touching this machine's own
// files: a shell script inside a private mount namespace (unshare -m), with
// optional writable overlays of /etc or /run (whatever is written there dies
// with the sandbox) and an optional shared / (a systemd host).
//
// CPUs: the kernel hands out namespace ids from per-CPU batches, so a mount
// namespace made on one CPU can look "older" than one made earlier on
// another, and binding it then fails with EINVAL (the kernel's mount
// namespace loop check). On a real host netns-run runs in the initial mount
// namespace and never meets this; in a sandbox it would fail at random. So
// by default the sandbox is made and its script runs on one CPU, where ids
// only grow; a test about that very trap passes `spread` to let the script
// (and netns-run) run on every CPU while the sandbox was made on `cpu`.
//
// What netns-run writes outside an overlay (/run/netns-run/NAME, /run/netns/NAME,
// /etc/netns/NAME) stays on the real filesystem while the mounts it made
// vanish with the sandbox: tests still call removeNamespace() for every name.
import { mkdtempSync, rmSync } from 'node:fs';
import { BIN, NODE, NODE_DIR, runProgram, trySh, type Result } from './netns-run.js';

export interface SandboxOptions {
  /** `mount --make-rshared /` first, as every systemd host has it. */
  readonly shared?: boolean;
  /** Directories to overlay with a writable layer that vanishes with the sandbox. */
  readonly overlay?: readonly ('/etc' | '/run')[];
  /** The CPU the sandbox's mount namespace is made on (default: the first this test may use). */
  readonly cpu?: number;
  /** Run the script on all the test's CPUs instead of only on `cpu`. */
  readonly spread?: boolean;
  /** More environment for the script. */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export interface SandboxResult extends Result {
  /** What the script printed after each `section KEY`, exactly (a section's own output, nothing added). */
  readonly sections: Readonly<Record<string, string>>;
  /** The sandbox's scratch directory: a tmpfs inside the sandbox, an empty directory outside. */
  readonly scratch: string;
}

// In the script: $SANDBOX (scratch tmpfs), netns_run ARGS... (netns-run as the
// test runs it), section KEY (starts a section of stdout).
const PRELUDE = `set -e
mount -t tmpfs -o mode=0755 nrt-sandbox "$SANDBOX"
for dir in $SANDBOX_OVERLAY; do
  key=$(printf %s "$dir" | tr / _)
  mkdir "$SANDBOX/upper$key" "$SANDBOX/work$key"
  mount -t overlay nrt-sandbox -o "lowerdir=$dir,upperdir=$SANDBOX/upper$key,workdir=$SANDBOX/work$key" "$dir"
done
if [ "$SANDBOX_SHARED" = 1 ]; then mount --make-rshared /; fi
if [ -n "$SANDBOX_CPUS" ]; then taskset -pc "$SANDBOX_CPUS" $$ >/dev/null; fi
netns_run() { PATH="$NODE_DIR:$PATH" "$BIN" "$@"; }
section() { printf '\\n@@%s\\n' "$1"; }
set +e
`;

function parseSections(stdout: string): Record<string, string> {
  const sections: Record<string, string> = {};
  const parts = stdout.split(/\n@@([^\n]*)\n/);
  for (let i = 1; i + 1 < parts.length; i += 2) sections[parts[i]!] = parts[i + 1]!;
  return sections;
}

/** The CPUs this test process may run on (taskset's list). */
export function affinity(): number[] {
  const out = trySh(`taskset -pc ${process.pid}`).stdout;
  const list = out.slice(out.lastIndexOf(':') + 1).trim();
  const cpus: number[] = [];
  for (const range of list.split(',').filter(Boolean)) {
    const [from, to] = range.split('-').map(Number) as [number, number | undefined];
    for (let cpu = from; cpu <= (to ?? from); cpu += 1) cpus.push(cpu);
  }
  return cpus;
}

/** Runs SCRIPT as root in a fresh private mount namespace prepared as OPTIONS say. */
export async function sandbox(script: string, options: SandboxOptions = {}): Promise<SandboxResult> {
  const scratch = mkdtempSync('/tmp/nrt-sandbox-');
  try {
    const cpus = affinity();
    const cpu = options.cpu ?? cpus[0];
    const pin = cpu === undefined ? [] : ['taskset', '-c', String(cpu)];
    const [file, ...args] = [...pin, 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', PRELUDE + script, 'sandbox'];
    const result = await runProgram(file!, args, {
      env: {
        ...process.env,
        NODE,
        NODE_DIR,
        BIN,
        SANDBOX: scratch,
        SANDBOX_OVERLAY: (options.overlay ?? []).join(' '),
        SANDBOX_SHARED: options.shared ? '1' : '',
        SANDBOX_CPUS: options.spread && cpus.length > 0 ? cpus.join(',') : '',
        ...options.env,
      },
      timeoutMs: options.timeoutMs ?? 120_000,
    });
    return { ...result, sections: parseSections(result.stdout), scratch };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** One line to add to an assertion's message: what the sandbox said. */
export function describe(result: Result): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}; stderr: ${result.stderr.trim() || '(none)'}`;
}
