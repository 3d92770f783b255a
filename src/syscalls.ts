// System call numbers for the few calls netns-run's perl helpers make
// directly (perl's syscall()): one perl process then does what otherwise
// takes a dozen programs (nsenter, unshare, sh, mount, umount), each start
// of which costs milliseconds on a cold path that counts them.
//
// Only architectures whose numbers were checked against the kernel's own
// headers are listed (asm/unistd_64.h, asm/unistd_32.h, asm-generic/unistd.h):
// a wrong number would make root call another system call. Elsewhere the
// callers fall back to the programs.

export interface SyscallNumbers {
  readonly close: number;
  readonly mount: number;
  readonly umount2: number;
  readonly unshare: number;
  readonly setns: number;
}

const GENERIC: SyscallNumbers = { close: 57, mount: 40, umount2: 39, unshare: 97, setns: 268 };

const BY_ARCH: Readonly<Partial<Record<NodeJS.Architecture, SyscallNumbers>>> = {
  x64: { close: 3, mount: 165, umount2: 166, unshare: 272, setns: 308 },
  ia32: { close: 6, mount: 21, umount2: 52, unshare: 310, setns: 346 },
  // These use the kernel's generic table.
  arm64: GENERIC,
  riscv64: GENERIC,
  loong64: GENERIC,
};

/** The numbers for this machine's architecture, or undefined where netns-run does not carry them. */
export function syscallNumbers(arch: NodeJS.Architecture = process.arch): SyscallNumbers | undefined {
  return BY_ARCH[arch];
}

/** The numbers as perl's arguments, in the order the helpers read them: mount umount2 unshare setns. */
export function syscallArgs(numbers: SyscallNumbers): string[] {
  return [numbers.mount, numbers.umount2, numbers.unshare, numbers.setns].map(String);
}

// Flags, from linux/mount.h and linux/sched.h; the same on every architecture above.
export const MS = { RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, REMOUNT: 32, BIND: 4096, REC: 16384, SLAVE: 1 << 19, PRIVATE: 1 << 18 } as const;
export const MNT_DETACH = 2;
export const CLONE_NEWNS = 0x20000;
export const CLONE_NEWNET = 0x40000000;
