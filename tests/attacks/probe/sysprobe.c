// A static probe for the red-team suite: tries the privileged operations a sandboxed server must not
// be able to perform and prints one JSON object with what each returned. Built by tests/attacks at
// run time (gcc -static) and copied into a root, so it runs even in an image with node only.
//
// Usage: sysprobe DIR   DIR: an empty directory inside a root to try mounting a tmpfs on; also tries the
//                       calls the seccomp filter denies (keyrings, bpf, perf, io_uring, userfaultfd,
//                       ptrace) and setuid modes on scratch files in DIR (removed again).
//        sysprobe --plant DIR   only the raw mode-setting calls (mknodat, openat, O_TMPFILE, fchmodat,
//                       fchmodat2, mkdirat, chmod) with setuid/setgid/sticky modes, on new files in DIR that
//                       are left in place: the host then checks that none carries such a bit.
// Safety: it attempts nothing when it runs with euid 0 (a mount attempt by real root would succeed on
// the host); it reports the euid instead, which is itself the failure a setuid test looks for. Key calls
// only read the inherited session keyring or add to the probe's own process keyring, never the session's.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/perf_event.h>
#include <sys/ptrace.h>
#include <unistd.h>

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#define KEYCTL_GET_KEYRING_ID 0
#define KEY_SPEC_PROCESS_KEYRING -2
#define KEY_SPEC_SESSION_KEYRING -3
#define UFFD_USER_MODE_ONLY 1

static void report(const char *name, int rc, int last) {
  if (rc == 0) printf("\"%s\":\"ok\"%s", name, last ? "" : ",");
  else printf("\"%s\":\"%s\"%s", name, strerrorname_np(errno) ? strerrorname_np(errno) : "ERR", last ? "" : ",");
}

// Each attempt runs in a child so one success cannot change what the next one sees.
static int in_child(int (*attempt)(const char *), const char *dir) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) _exit(attempt(dir) == 0 ? 0 : (errno & 0x7f) + 1);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  errno = WIFEXITED(status) ? WEXITSTATUS(status) - 1 : EINTR;
  return -1;
}

static int try_setuid(const char *d) { (void)d; return setuid(0); }
static int try_chroot(const char *d) { (void)d; return chroot("/"); }
static int try_unshare_mount(const char *d) { (void)d; return unshare(CLONE_NEWNS); }
static int try_unshare_net(const char *d) { (void)d; return unshare(CLONE_NEWNET); }
static int try_unshare_user(const char *d) { (void)d; return unshare(CLONE_NEWUSER); }
static int try_mount(const char *d) { return mount("none", d, "tmpfs", 0, "size=1m"); }
// Creating a TUN interface needs CAP_NET_ADMIN; opening the device alone proves nothing.
static int try_tun(const char *d) {
  (void)d;
  int fd = open("/dev/net/tun", O_RDWR);
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, "atk0", IFNAMSIZ - 1);
  return ioctl(fd, TUNSETIFF, &ifr);
}
static int try_userns_mount(const char *d) {
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return -1;
  return mount("none", d, "tmpfs", 0, "size=1m");
}

// Calls the seccomp filter denies. A call that returns a descriptor has it closed again.
static long closed(long fd) {
  if (fd >= 0) close((int)fd);
  return fd < 0 ? -1 : 0;
}
static int try_keyctl(const char *d) {
  (void)d;
  return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) < 0 ? -1 : 0;
}
static int try_add_key(const char *d) {
  (void)d;
  return syscall(SYS_add_key, "user", "mcp-warden-sysprobe", "x", 1, KEY_SPEC_PROCESS_KEYRING) < 0 ? -1 : 0;
}
static int try_request_key(const char *d) {
  (void)d;
  return syscall(SYS_request_key, "user", "mcp-warden-sysprobe-absent", NULL, 0) < 0 ? -1 : 0;
}
static int try_bpf(const char *d) {
  (void)d;
  char attr[128];
  memset(attr, 0, sizeof attr);
  return (int)closed(syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof attr));
}
static int try_perf_event_open(const char *d) {
  (void)d;
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.exclude_kernel = 1;
  return (int)closed(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
}
static int try_io_uring_setup(const char *d) {
  (void)d;
  char params[120];
  memset(params, 0, sizeof params);
  return (int)closed(syscall(SYS_io_uring_setup, 1, params));
}
static int try_userfaultfd(const char *d) {
  (void)d;
  return (int)closed(syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY));
}
static int try_ptrace(const char *d) {
  (void)d;
  return ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 ? -1 : 0;
}
// Setuid modes on scratch files, removed again (errno preserved).
static int try_chmod_suid(const char *d) {
  char path[4096];
  snprintf(path, sizeof path, "%s/sysprobe-chmod-%d", d, getpid());
  long fd = syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  close((int)fd);
  int rc = (int)syscall(SYS_fchmodat, AT_FDCWD, path, 04755);
  int saved = errno;
  unlink(path);
  errno = saved;
  return rc;
}
static int try_open_creat_suid(const char *d) {
  char path[4096];
  snprintf(path, sizeof path, "%s/sysprobe-creat-%d", d, getpid());
  long fd = syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, 04777);
  int saved = errno;
  if (fd >= 0) {
    close((int)fd);
    unlink(path);
  }
  errno = saved;
  return fd < 0 ? -1 : 0;
}

// --plant: each call on a new file or directory, left in place for the host-side check.
static void plant(const char *d) {
  char path[4096];
  int pid = getpid();
  long fd;
  printf("{\"uid\":%d,\"euid\":%d,", getuid(), geteuid());
  snprintf(path, sizeof path, "%s/plant-mknod-%d", d, pid);
  report("mknodat", (int)syscall(SYS_mknodat, AT_FDCWD, path, S_IFREG | 04755, 0), 0);
  snprintf(path, sizeof path, "%s/plant-openat-%d", d, pid);
  fd = syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, 06755);
  report("openat", (int)closed(fd), 0);
  // O_TMPFILE then linked into place through /proc/self/fd: a name appears only after the mode is set.
  fd = syscall(SYS_openat, AT_FDCWD, d, O_TMPFILE | O_WRONLY | O_CLOEXEC, 04755);
  if (fd >= 0) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%ld", fd);
    snprintf(path, sizeof path, "%s/plant-tmpfile-%d", d, pid);
    linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
    close((int)fd);
  }
  report("tmpfile", fd < 0 ? -1 : 0, 0);
  snprintf(path, sizeof path, "%s/plant-fchmodat-%d", d, pid);
  closed(syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  report("fchmodat", (int)syscall(SYS_fchmodat, AT_FDCWD, path, 06755), 0);
  snprintf(path, sizeof path, "%s/plant-fchmodat2-%d", d, pid);
  closed(syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  report("fchmodat2", (int)syscall(SYS_fchmodat2, AT_FDCWD, path, 04755, 0), 0);
  snprintf(path, sizeof path, "%s/plant-mkdirat-%d", d, pid);
  report("mkdirat", (int)syscall(SYS_mkdirat, AT_FDCWD, path, 01777), 0);
#ifdef SYS_chmod
  snprintf(path, sizeof path, "%s/plant-chmod-%d", d, pid);
  closed(syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  report("chmod", (int)syscall(SYS_chmod, path, 02755), 1);
#else
  printf("\"chmod\":\"absent\"");
#endif
  printf("}\n");
}

int main(int argc, char **argv) {
  int planting = argc >= 3 && strcmp(argv[1], "--plant") == 0;
  if (argc < 2 || (strcmp(argv[1], "--plant") == 0 && !planting)) {
    fprintf(stderr, "usage: sysprobe [--plant] DIR\n");
    return 2;
  }
  const char *dir = planting ? argv[2] : argv[1];
  if ((geteuid() == 0 || getuid() == 0) && planting) {
    printf("{\"euid\":%d,\"refused\":\"running as root; no attempt made\"}\n", geteuid());
    return 0;
  }
  if (planting) {
    umask(0);
    plant(dir);
    return 0;
  }
  printf("{\"uid\":%d,\"euid\":%d,\"gid\":%d,\"egid\":%d", getuid(), geteuid(), getgid(), getegid());
  if (geteuid() == 0 || getuid() == 0) {
    printf(",\"refused\":\"running as root; no attempt made\"}\n");
    return 0;
  }
  printf(",");
  report("keyctl", in_child(try_keyctl, dir), 0);
  report("addKey", in_child(try_add_key, dir), 0);
  report("requestKey", in_child(try_request_key, dir), 0);
  report("bpf", in_child(try_bpf, dir), 0);
  report("perfEventOpen", in_child(try_perf_event_open, dir), 0);
  report("ioUringSetup", in_child(try_io_uring_setup, dir), 0);
  report("userfaultfd", in_child(try_userfaultfd, dir), 0);
  report("ptrace", in_child(try_ptrace, dir), 0);
  report("chmodSuid", in_child(try_chmod_suid, dir), 0);
  report("openCreatSuid", in_child(try_open_creat_suid, dir), 0);
  report("setuid", in_child(try_setuid, dir), 0);
  report("chroot", in_child(try_chroot, dir), 0);
  report("unshareMount", in_child(try_unshare_mount, dir), 0);
  report("unshareNet", in_child(try_unshare_net, dir), 0);
  report("unshareUser", in_child(try_unshare_user, dir), 0);
  report("mount", in_child(try_mount, dir), 0);
  report("usernsMount", in_child(try_userns_mount, dir), 0);
  report("tun", in_child(try_tun, dir), 1);
  printf("}\n");
  return 0;
}
