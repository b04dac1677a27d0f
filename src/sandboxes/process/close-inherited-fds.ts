// Descriptors the warden inherited (a shell's `exec 200</`, a leaky MCP client) would otherwise pass
// through every child it spawns, setpriv and bwrap included, into the sandbox: a directory descriptor
// there reaches the whole host through /proc/self/fd/N (issue 20, item 2). Node cannot set FD_CLOEXEC,
// but it can close; libuv opens every descriptor of its own with O_CLOEXEC, so a descriptor above 2
// without that flag was inherited and is closed. A child then gets exactly fds 0-2 plus the pipes the
// launcher passes on purpose.
import { closeSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** O_CLOEXEC as /proc/PID/fdinfo/N reports it (octal `flags:`), the same on every Linux architecture. */
const O_CLOEXEC = 0o2000000;

/** A descriptor that survives exec. */
export interface InheritedFd {
  fd: number;
  /** What it points to (readlink of /proc/self/fd/N), for the warning; '?' when unreadable. */
  target: string;
}

/**
 * The descriptors above 2 of this process that lack O_CLOEXEC. Linux reads /proc/self/fdinfo; elsewhere
 * (no /proc) the list is empty: on macOS libuv spawns with POSIX_SPAWN_CLOEXEC_DEFAULT, which passes a
 * child only the descriptors named in its stdio.
 */
export function findInheritedFds(procFd = '/proc/self/fd', procFdinfo = '/proc/self/fdinfo'): InheritedFd[] {
  let names: string[];
  try {
    names = readdirSync(procFd);
  } catch {
    return [];
  }
  const found: InheritedFd[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd <= 2) continue;
    let flags: number;
    try {
      const match = /^flags:\s*([0-7]+)/m.exec(readFileSync(`${procFdinfo}/${name}`, 'latin1'));
      if (!match?.[1]) continue;
      flags = Number.parseInt(match[1], 8);
    } catch {
      continue; // Closed meanwhile (the directory listing's own descriptor, for one).
    }
    if ((flags & O_CLOEXEC) !== 0) continue;
    let target = '?';
    try {
      target = readlinkSync(`${procFd}/${name}`);
    } catch {
      // Gone, or not ours to read: still inherited.
    }
    found.push({ fd, target });
  }
  return found;
}

/**
 * Close every inherited descriptor (see findInheritedFds) and return what was closed, so the caller can
 * say so. Safe to call often: once closed, nothing is left to find. Never throws.
 */
export function closeInheritedFds(): InheritedFd[] {
  const closed: InheritedFd[] = [];
  for (const entry of findInheritedFds()) {
    try {
      closeSync(entry.fd);
      closed.push(entry);
    } catch {
      // EBADF: already closed.
    }
  }
  return closed;
}
