// A static probe for the red-team suite: tries the privileged operations a sandboxed server must not
// be able to perform and prints one JSON object with what each returned. Built by tests/attacks at
// run time (gcc -static) and copied into a root, so it runs even in an image with node only.
//
// Usage: sysprobe DIR   DIR: an empty directory inside a root to try mounting a tmpfs on.
// Safety: it attempts nothing when it runs with euid 0 (a mount attempt by real root would succeed on
// the host); it reports the euid instead, which is itself the failure a setuid test looks for.
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
#include <sys/wait.h>
#include <unistd.h>

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

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: sysprobe DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  printf("{\"uid\":%d,\"euid\":%d,\"gid\":%d,\"egid\":%d", getuid(), geteuid(), getgid(), getegid());
  if (geteuid() == 0 || getuid() == 0) {
    printf(",\"refused\":\"running as root; no attempt made\"}\n");
    return 0;
  }
  printf(",");
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
