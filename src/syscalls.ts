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

/**
 * perl's arguments for helpers.ts's startDaemon, where the numbers are known:
 * it closes every descriptor above 2 with close(2) (POSIX.pm, which the
 * default program loads, costs more than perl's own start), and given BIND
 * makes a private mount namespace with BIND.source bound at BIND.target (as
 * unshare --mount --propagation private and mount --bind would: three
 * program starts fewer), then execs the daemon.
 */
export function daemonPerl(bind?: { readonly source: string; readonly target: string }): string[] | undefined {
  const numbers = syscallNumbers();
  if (numbers === undefined) return undefined;
  return ['-e', DAEMON_PERL, String(numbers.close), String(numbers.mount), String(numbers.unshare), bind?.source ?? '', bind?.target ?? ''];
}

// Arguments: close mount unshare source target (source empty: no namespace), then the command.
const DAEMON_PERL = `my ($close, $mount, $unshare, $source, $target, @command) = @ARGV;
opendir(my $d, '/proc/self/fd') or die "/proc/self/fd: $!\\n";
my @fds = grep { /^[0-9]+$/ && $_ > 2 } readdir($d);
closedir($d);
syscall($close, 0 + $_) for @fds;
if ($source ne '') {
  my ($none, $slash) = ('none', '/');
  syscall($unshare, ${CLONE_NEWNS}) == 0 or die "unshare: $!\\n";
  syscall($mount, $none, $slash, 0, ${MS.REC | MS.PRIVATE}, 0) == 0 or die "making / a private mount: $!\\n";
  syscall($mount, $source, $target, 0, ${MS.BIND}, 0) == 0 or die "binding $source on $target: $!\\n";
}
exec { $command[0] } @command or die "$command[0]: $!\\n";`;
