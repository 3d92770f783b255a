/*
 * probe: the target of the conformance tests (test/conformance/). It writes
 * down what netns-run handed it and counts every signal it receives, so that
 * a test can compare both with what the caller gave netns-run.
 *
 *   probe [-t] [-f] [-c FIFO] [-w FD:TEXT] [-r FD] [-n] [-e CODE | -k SIG] LOG
 *
 * On start it appends to LOG (one "key value" line each): pid, ppid, pgid,
 * sid, tpgid, uid, gid, groups, tty0..tty2 (ttyname or -), one "fd N TARGET"
 * line per open descriptor, SigIgn and SigBlk (the ignored and the blocked
 * signals it started with, hex masks as in /proc/self/status), "env NAME=VALUE" (or "env NAME" when unset) for the
 * systemd variables, then "ready". Then, in order:
 *   -w FD:TEXT  writes TEXT and a newline to descriptor FD ("wrote FD" or "error ...")
 *   -r FD       reads descriptor FD to its end ("read FD TEXT", first line only)
 *   -n          sends "READY=1\nMAINPID=PID" to $NOTIFY_SOCKET ("notified")
 *   -e CODE     exits with CODE
 *   -k SIG      dies by SIG (name without SIG, or number), without a core dump
 * Otherwise it waits, counting TERM HUP INT QUIT USR1 USR2 WINCH CONT ALRM
 * in handlers and appending "counts TERM=n HUP=n ..." whenever one changes,
 * "fg 1"/"fg 0" whenever it enters or leaves its terminal's foreground, and
 * "size ROWS COLS" (TIOCGWINSZ) on start and on each WINCH when stdin is a
 * terminal. Commands, one a line, from the fifo of -c and, with -t, from
 * the terminal (read only while in the foreground, so bg never stops it):
 *   report    appends "report N" followed by the counts (N counts reports)
 *   exit CODE appends the counts and exits with CODE ("q" at the terminal: exit 0)
 * -t also prints every line to stdout while in the foreground; -f draws a full screen instead (the
 * alternate screen, keys read one by one without Enter, a frame as large as
 * the window, redrawn on WINCH; "q" restores the terminal and exits 0).
 * It exits 124 by itself after 120 s so that it never outlives a test.
 *
 *   probe -L SOCKET OUT   (no netns-run involved) binds a unix datagram
 * socket at SOCKET with SO_PASSCRED, appends "listening" to OUT, waits for one
 * message and appends "from PID UID GID" (the kernel's word on the sender)
 * and the message with newlines as spaces.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static const struct { int number; const char *name; } COUNTED[] = {
    {SIGTERM, "TERM"}, {SIGHUP, "HUP"},     {SIGINT, "INT"},   {SIGQUIT, "QUIT"}, {SIGUSR1, "USR1"},
    {SIGUSR2, "USR2"}, {SIGWINCH, "WINCH"}, {SIGCONT, "CONT"}, {SIGALRM, "ALRM"},
};
#define NCOUNTED (sizeof COUNTED / sizeof COUNTED[0])
static const char *ENV_NAMES[] = {"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "INVOCATION_ID",
                                  "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID", "NETNS_RUN_NAME"};

static volatile sig_atomic_t counts[NCOUNTED];
static int log_fd = -1, to_terminal, full_screen, reports;
static struct termios saved_termios;
static char last_key = '-';

static void on_signal(int number) {
    for (size_t i = 0; i < NCOUNTED; i++)
        if (COUNTED[i].number == number) counts[i]++;
}

/* One line to the log, and to the terminal with -t. */
static void say(const char *format, ...) {
    char line[8192];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(line, sizeof line - 1, format, args);
    va_end(args);
    if (n < 0) return;
    if ((size_t)n > sizeof line - 2) n = sizeof line - 2;
    line[n++] = '\n';
    if (write(log_fd, line, n) < 0) _exit(3);
    /* Only in the foreground: in the background it would write over the shell's prompt. */
    if (to_terminal && !full_screen && tcgetpgrp(0) == getpgrp() && write(1, line, n) < 0) _exit(3);
}

static int signal_by_name(const char *name) {
    static const struct { int number; const char *name; } more[] = {
        {SIGKILL, "KILL"}, {SIGSEGV, "SEGV"}, {SIGABRT, "ABRT"}, {SIGPIPE, "PIPE"}, {SIGBUS, "BUS"}, {SIGFPE, "FPE"}};
    if (name[0] >= '0' && name[0] <= '9') return atoi(name);
    for (size_t i = 0; i < NCOUNTED; i++)
        if (strcmp(COUNTED[i].name, name) == 0) return COUNTED[i].number;
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        if (strcmp(more[i].name, name) == 0) return more[i].number;
    return 0;
}

static void status_field(const char *key) {
    FILE *status = fopen("/proc/self/status", "r");
    char line[512];
    size_t len = strlen(key);
    while (status && fgets(line, sizeof line, status))
        if (strncmp(line, key, len) == 0 && line[len] == ':') {
            line[strcspn(line, "\n")] = 0;
            say("%s %s", key, line + len + 1 + strspn(line + len + 1, " \t"));
        }
    if (status) fclose(status);
}

/* The mask as /proc/self/status prints it: bit N-1 for signal N, 16 hex digits. */
static void say_mask(const char *key, const sigset_t *set) {
    unsigned long long bits = 0;
    for (int number = 1; number <= 64; number++)
        if (sigismember(set, number) == 1) bits |= 1ULL << (number - 1);
    say("%s %016llx", key, bits);
}

static void record_start(const sigset_t *inherited_mask) {
    say("pid %d", getpid());
    say("ppid %d", getppid());
    say("pgid %d", getpgrp());
    say("sid %d", getsid(0));
    say("tpgid %d", isatty(0) ? tcgetpgrp(0) : -1);
    say("uid %d", getuid());
    say("gid %d", getgid());
    gid_t groups[256];
    int ngroups = getgroups(256, groups);
    char list[2048] = "";
    for (int i = 0; i < ngroups; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", i ? "," : "", groups[i]);
    say("groups %s", ngroups > 0 ? list : "-");
    for (int fd = 0; fd <= 2; fd++) say("tty%d %s", fd, isatty(fd) ? ttyname(fd) : "-");
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *entry;
    while (dir && (entry = readdir(dir))) {
        int fd = atoi(entry->d_name);
        if (entry->d_name[0] == '.' || fd == dirfd(dir) || fd == log_fd) continue;
        char path[64], target[4096];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n < 0 ? 0 : n] = 0;
        say("fd %d %s", fd, target);
    }
    if (dir) closedir(dir);
    status_field("SigIgn");
    say_mask("SigBlk", inherited_mask);
    for (size_t i = 0; i < sizeof ENV_NAMES / sizeof ENV_NAMES[0]; i++) {
        const char *value = getenv(ENV_NAMES[i]);
        if (value) say("env %s=%s", ENV_NAMES[i], value);
        else say("env %s", ENV_NAMES[i]);
    }
    say("ready");
}

static void say_counts(void) {
    char line[512] = "counts";
    for (size_t i = 0; i < NCOUNTED; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), " %s=%d", COUNTED[i].name, (int)counts[i]);
    say("%s", line);
}

static void window_size(int *rows, int *cols) {
    struct winsize size = {0};
    ioctl(0, TIOCGWINSZ, &size);
    *rows = size.ws_row;
    *cols = size.ws_col;
}

static void put(const char *text) {
    if (write(1, text, strlen(text)) < 0) _exit(3);
}

/* The full screen: a frame along the window's edges, the size and the last key in it. */
static void draw(void) {
    int rows, cols;
    window_size(&rows, &cols);
    char line[1024];
    put("\033[H\033[2J");
    for (int row = 1; row <= rows; row += rows > 1 ? rows - 1 : 1) {
        snprintf(line, sizeof line, "\033[%d;1H+", row);
        put(line);
        for (int col = 2; col < cols; col++) put("-");
        put("+");
    }
    snprintf(line, sizeof line, "\033[2;3Hprobe full screen %dx%d key %c", cols, rows, last_key);
    put(line);
    say("drawn %d %d", rows, cols);
}

static void leave_full_screen(void) {
    tcsetattr(0, TCSAFLUSH, &saved_termios);
    put("\033[?1049l");
}

static void enter_full_screen(void) {
    struct termios raw;
    if (tcgetattr(0, &saved_termios) != 0) {
        say("error not a terminal");
        exit(2);
    }
    raw = saved_termios;
    raw.c_lflag &= ~(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tcsetattr(0, TCSAFLUSH, &raw);
    put("\033[?1049h");
    draw();
}

static void finish(int code) {
    say_counts();
    say("exit %d", code);
    if (full_screen) leave_full_screen();
    exit(code);
}

static void command(const char *line) {
    if (strcmp(line, "report") == 0) {
        say("report %d", ++reports);
        say_counts();
    } else if (strncmp(line, "exit ", 5) == 0) {
        finish(atoi(line + 5));
    } else if (strcmp(line, "q") == 0) {
        finish(0);
    } else if (line[0]) {
        say("unknown %s", line);
    }
}

/* Reads what is there from FD and runs each complete line; 0 at end of file. */
static int read_commands(int fd, char *buffer, size_t *used, size_t size) {
    ssize_t n = read(fd, buffer + *used, size - 1 - *used);
    if (n <= 0) return n < 0 && errno == EINTR;
    *used += n;
    buffer[*used] = 0;
    char *newline;
    while ((newline = strchr(buffer, '\n'))) {
        *newline = 0;
        command(buffer);
        *used -= newline + 1 - buffer;
        memmove(buffer, newline + 1, *used + 1);
    }
    if (*used == size - 1) *used = 0;
    return 1;
}

static void notify(void) {
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (!path || strlen(path) >= sizeof address.sun_path) {
        say("error NOTIFY_SOCKET unusable");
        return;
    }
    strcpy(address.sun_path, path);
    if (address.sun_path[0] == '@') address.sun_path[0] = 0;
    char message[64];
    int n = snprintf(message, sizeof message, "READY=1\nMAINPID=%d", getpid());
    int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sendto(sock, message, n, 0, (struct sockaddr *)&address, sizeof address) != n) say("error notify %s", strerror(errno));
    else say("notified");
    close(sock);
}

static int listen_notify(const char *path, const char *out) {
    log_fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path);
    if (log_fd < 0 || sock < 0 || setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0 ||
        bind(sock, (struct sockaddr *)&address, sizeof address) != 0) {
        perror("probe -L");
        return 2;
    }
    chmod(path, 0666);
    alarm(120);
    say("listening");
    char data[1024];
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(struct ucred))]; } control;
    struct iovec iov = {data, sizeof data - 1};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(sock, &message, 0);
    if (n < 0) return 2;
    data[n] = 0;
    for (char *c = data; *c; c++)
        if (*c == '\n') *c = ' ';
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    if (header && header->cmsg_type == SCM_CREDENTIALS) {
        struct ucred cred;
        memcpy(&cred, CMSG_DATA(header), sizeof cred);
        say("from %d %d %d", cred.pid, cred.uid, cred.gid);
    } else {
        say("from unknown");
    }
    say("message %s", data);
    return 0;
}

int main(int argc, char **argv) {
    const char *fifo = NULL, *write_spec = NULL, *die_by = NULL;
    int read_fd = -1, exit_code = -1, send_notify = 0, option;
    if (argc == 4 && strcmp(argv[1], "-L") == 0) return listen_notify(argv[2], argv[3]);
    while ((option = getopt(argc, argv, "tfc:w:r:ne:k:")) != -1) switch (option) {
        case 't': to_terminal = 1; break;
        case 'f': to_terminal = full_screen = 1; break;
        case 'c': fifo = optarg; break;
        case 'w': write_spec = optarg; break;
        case 'r': read_fd = atoi(optarg); break;
        case 'n': send_notify = 1; break;
        case 'e': exit_code = atoi(optarg); break;
        case 'k': die_by = optarg; break;
        default: return 2;
        }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: probe [-t] [-f] [-c FIFO] [-w FD:TEXT] [-r FD] [-n] [-e CODE | -k SIG] LOG\n");
        return 2;
    }
    /* Far above the descriptors under test: a closed 3 must not be taken by the log. */
    int opened = open(argv[optind], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    log_fd = opened < 0 ? -1 : fcntl(opened, F_DUPFD_CLOEXEC, 200);
    if (log_fd < 0) {
        perror(argv[optind]);
        return 2;
    }
    close(opened);

    /* Block the counted signals before anything is recorded: none is lost, each is counted once in the loop. */
    sigset_t counted, waiting;
    sigemptyset(&counted);
    for (size_t i = 0; i < NCOUNTED; i++) sigaddset(&counted, COUNTED[i].number);
    sigprocmask(SIG_BLOCK, &counted, &waiting);
    record_start(&waiting);

    if (write_spec) {
        int fd = atoi(write_spec);
        const char *text = strchr(write_spec, ':');
        text = text ? text + 1 : "";
        if (fd == log_fd || dprintf(fd, "%s\n", text) < 0) say("error write %d %s", fd, strerror(errno));
        else say("wrote %d", fd);
    }
    if (read_fd >= 0 && read_fd != log_fd) {
        char text[4096];
        size_t used = 0;
        ssize_t n;
        while (used < sizeof text - 1 && (n = read(read_fd, text + used, sizeof text - 1 - used)) > 0) used += n;
        text[used] = 0;
        text[strcspn(text, "\n")] = 0;
        say("read %d %s", read_fd, text);
    }
    if (send_notify) notify();
    if (exit_code >= 0) return exit_code;
    if (die_by) {
        int number = signal_by_name(die_by);
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        prctl(PR_SET_DUMPABLE, 0); /* no core file of the probe's anywhere, whatever core_pattern says */
        signal(number, SIG_DFL);
        sigset_t just;
        sigemptyset(&just);
        sigaddset(&just, number);
        sigprocmask(SIG_UNBLOCK, &just, NULL);
        raise(number);
        say("error survived %s", die_by);
        return 99;
    }

    struct sigaction action = {.sa_handler = on_signal};
    sigfillset(&action.sa_mask);
    for (size_t i = 0; i < NCOUNTED; i++) sigaction(COUNTED[i].number, &action, NULL);
    int control = fifo ? open(fifo, O_RDWR | O_CLOEXEC) : -1;
    if (fifo && control < 0) say("error fifo %s", strerror(errno));
    if (full_screen) enter_full_screen();

    int logged[NCOUNTED] = {0}, foreground = -1, winches = 0;
    char control_buffer[512], terminal_buffer[512];
    size_t control_used = 0, terminal_used = 0;
    time_t deadline = time(NULL) + 120;
    if (isatty(0)) {
        int rows, cols;
        window_size(&rows, &cols);
        say("size %d %d", rows, cols);
    }
    for (;;) {
        if (memcmp(logged, (int *)counts, sizeof logged) != 0) {
            for (size_t i = 0; i < NCOUNTED; i++) logged[i] = counts[i];
            say_counts();
        }
        if (isatty(0) && counts[6] != winches) {
            winches = counts[6];
            int rows, cols;
            window_size(&rows, &cols);
            say("size %d %d", rows, cols);
            if (full_screen) draw();
        }
        int now_foreground = isatty(0) && tcgetpgrp(0) == getpgrp();
        if (isatty(0) && now_foreground != foreground) say("fg %d", foreground = now_foreground);

        struct pollfd fds[2];
        nfds_t n = 0;
        if (control >= 0) fds[n++] = (struct pollfd){control, POLLIN, 0};
        if (to_terminal && foreground == 1) fds[n++] = (struct pollfd){0, POLLIN, 0};
        struct timespec left = {deadline - time(NULL), 0};
        if (left.tv_sec <= 0) {
            say("timeout");
            finish(124);
        }
        /* In the background nothing may tell it when fg gives it the terminal again (no SIGCONT if it runs): look every 50 ms. */
        if (to_terminal && foreground == 0) left = (struct timespec){0, 50 * 1000 * 1000};
        if (ppoll(fds, n, &left, &waiting) <= 0) continue;
        for (nfds_t i = 0; i < n; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
            if (fds[i].fd == control) {
                read_commands(control, control_buffer, &control_used, sizeof control_buffer);
            } else if (full_screen) {
                char key;
                if (read(0, &key, 1) == 1) {
                    if (key == 'q') finish(0);
                    last_key = key;
                    say("key %c", key);
                    draw();
                }
            } else if (!read_commands(0, terminal_buffer, &terminal_used, sizeof terminal_buffer)) {
                finish(0); /* end of input */
            }
        }
    }
}
