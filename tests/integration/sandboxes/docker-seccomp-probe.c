// Tries every call the containers' seccomp profile restricts (src/sandboxes/seccomp/docker-profile.ts)
// through the raw system call, so no libc fallback hides what the filter answered, and prints one JSON
// object: call name -> "ok" or the errno name. Built by docker-seccomp.test.ts (gcc -static) and run
// inside a container, in DIR, a directory of a rw root; the test then checks DIR from the host.
//
// Usage: docker-seccomp-probe DIR
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int first = 1;

/** What in_child returns when a signal ended the child: below every -errno a raw call can give. */
#define KILLED_BY (-1000L)

static void report(const char *name, long rc) {
  char killed[32] = "";
  if (rc <= KILLED_BY) {
    const char *abbrev = sigabbrev_np((int)(KILLED_BY - rc));
    snprintf(killed, sizeof killed, "SIG%s", abbrev ? abbrev : "?");
  }
  const char *errname = rc >= 0 ? "ok"
                        : killed[0] ? killed
                        : (strerrorname_np(errno) ? strerrorname_np(errno) : "ERR");
  printf("%s\"%s\":\"%s\"", first ? "" : ",", name, errname);
  first = 0;
  fflush(stdout);
}

// Runs `attempt` in a child, so a call the kernel answers with a signal (or that succeeds and changes
// the process, like clone) cannot end the probe; the child's errno travels back in its exit status, a
// signal that ended it as KILLED_BY - signo.
static long in_child(long (*attempt)(void)) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) _exit(attempt() >= 0 ? 0 : (errno & 0x7f) + 1);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFSIGNALED(status)) return KILLED_BY - WTERMSIG(status);
  errno = WEXITSTATUS(status) - 1;
  return -1;
}

#ifdef __x86_64__
// chmod through the i386 entry point (int 0x80 from 64-bit code is checked as a 32-bit call, with
// i386 numbers: chmod is 15). The path must have a 32-bit address: a static binary's data has one.
static char low_path[] = "i386-target";
static long i386_chmod_mode(long mode) {
  long rc;
  __asm__ volatile("int $0x80" : "=a"(rc) : "a"(15L), "b"((long)(uintptr_t)low_path), "c"(mode) : "memory");
  if (rc < 0) {
    errno = (int)-rc;
    return -1;
  }
  return rc;
}
static long i386_chmod(void) { return i386_chmod_mode(04755); }
static long i386_chmod_plain(void) { return i386_chmod_mode(0644); }
#endif

static long clone_newuser(void) {
  long rc = syscall(SYS_clone, 0x10000000L /* CLONE_NEWUSER */ | SIGCHLD, 0, 0, 0, 0);
  if (rc == 0) _exit(0);
  if (rc > 0) waitpid((pid_t)rc, NULL, 0);
  return rc < 0 ? -1 : 0;
}

static long ptrace_traceme(void) { return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0); }

struct open_how_v0 {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};

int main(int argc, char **argv) {
#ifdef __x86_64__
  if (argc == 3 && strcmp(argv[1], "--i386-host") == 0) {
    if (chdir(argv[2]) != 0) {
      perror(argv[2]);
      return 2;
    }
    close(open("i386-target", O_CREAT | O_WRONLY, 0644));
    printf("{");
    report("i386_chmod_plain", in_child(i386_chmod_plain));
    printf("}\n");
    return 0;
  }
#endif
  if (argc < 2 || chdir(argv[1]) != 0) {
    fprintf(stderr, "usage: docker-seccomp-probe DIR\n");
    return 2;
  }
  int fd = open("target", O_CREAT | O_WRONLY, 0644);
  if (fd < 0) {
    perror("target");
    return 2;
  }
  close(open("i386-target", O_CREAT | O_WRONLY, 0644));
  printf("{");
  // Mode changes.
#ifdef SYS_chmod
  report("chmod_setuid", syscall(SYS_chmod, "target", 04755));
  report("chmod_plain", syscall(SYS_chmod, "target", 0755));
#endif
  report("fchmod_setgid", syscall(SYS_fchmod, fd, 02755));
  report("fchmodat_sticky", syscall(SYS_fchmodat, AT_FDCWD, "target", 01755));
  report("fchmodat_plain", syscall(SYS_fchmodat, AT_FDCWD, "target", 0700));
  report("fchmodat2_setuid", syscall(452, AT_FDCWD, "target", 04755, 0));
  // Creations.
#ifdef SYS_creat
  report("creat_setuid", syscall(SYS_creat, "creat-setuid", 04755));
#endif
#ifdef SYS_open
  report("open_creat_setuid", syscall(SYS_open, "open-setuid", O_CREAT | O_WRONLY, 04755));
  report("open_nocreat_mode_ignored", syscall(SYS_open, "target", O_RDONLY, 04755));
#endif
  report("openat_creat_setgid", syscall(SYS_openat, AT_FDCWD, "openat-setgid", O_CREAT | O_WRONLY, 02755));
  report("openat_creat_plain", syscall(SYS_openat, AT_FDCWD, "openat-plain", O_CREAT | O_WRONLY, 0644));
  long tmp = syscall(SYS_openat, AT_FDCWD, ".", O_TMPFILE | O_WRONLY, 04755);
  report("openat_tmpfile_setuid", tmp);
  if (tmp >= 0) {
    // Give it a name, so the host-side check sees what it would have become.
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%ld", tmp);
    linkat(AT_FDCWD, proc, AT_FDCWD, "tmpfile-setuid", AT_SYMLINK_FOLLOW);
  }
  struct open_how_v0 how = {O_CREAT | O_WRONLY, 04755, 0};
  report("openat2_setuid", syscall(437, AT_FDCWD, "openat2-setuid", &how, sizeof how));
#ifdef SYS_mkdir
  report("mkdir_sticky", syscall(SYS_mkdir, "mkdir-sticky", 01777));
#endif
  report("mkdirat_setgid", syscall(SYS_mkdirat, AT_FDCWD, "mkdirat-setgid", 02755));
  report("mkdirat_plain", syscall(SYS_mkdirat, AT_FDCWD, "mkdirat-plain", 0755));
#ifdef SYS_mknod
  report("mknod_setuid", syscall(SYS_mknod, "mknod-setuid", S_IFREG | 04755, 0));
#endif
  report("mknodat_setgid", syscall(SYS_mknodat, AT_FDCWD, "mknodat-setgid", S_IFREG | 02755, 0));
  report("mknodat_plain", syscall(SYS_mknodat, AT_FDCWD, "mknodat-plain", S_IFREG | 0644, 0));
#ifdef __x86_64__
  report("i386_chmod_setuid", in_child(i386_chmod));
  report("x32_chmod_setuid", syscall(0x40000000L | SYS_chmod, "target", 04755));
#endif
  // Kernel keyrings: KEYCTL_GET_KEYRING_ID of the session keyring, add_key and request_key into it.
  report("keyctl", syscall(SYS_keyctl, 0, -3L, 0));
  report("add_key", syscall(SYS_add_key, "user", "mcp-warden-probe", "secret", 6, -3L));
  report("request_key", syscall(SYS_request_key, "user", "mcp-warden-probe", NULL, 0));
  // Other denied calls.
  report("io_uring_setup", syscall(SYS_io_uring_setup, 1, NULL));
  report("userfaultfd", syscall(SYS_userfaultfd, 0));
  report("bpf", syscall(SYS_bpf, 0, NULL, 0));
  report("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
  report("ptrace_traceme", in_child(ptrace_traceme));
  report("unshare_user", syscall(SYS_unshare, 0x10000000L));
  report("clone_newuser", in_child(clone_newuser));
  report("clone3", syscall(435, NULL, 0));
  report("socket_alg", syscall(SYS_socket, 38, SOCK_SEQPACKET, 0));
  report("socket_unix", syscall(SYS_socket, 1, SOCK_STREAM, 0));
  report("personality_query", syscall(SYS_personality, 0xffffffffL));
  printf("}\n");
  return 0;
}
