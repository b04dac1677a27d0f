import { describe, expect, it } from 'vitest';
import {
  collectDescendants,
  parseProcStat,
  readProcSnapshot,
} from '../../../../src/sandboxes/process/proc-snapshot.ts';
import type { ProcEntry, ProcSnapshot } from '../../../../src/sandboxes/process/proc-snapshot.ts';

const entry = (pid: number, ppid: number, pgrp = pid, session = pgrp): ProcEntry => ({
  pid,
  state: 'S',
  ppid,
  pgrp,
  session,
  startTime: String(pid * 10),
});

describe('parseProcStat', () => {
  it('counts fields after the last ")" so odd command names cannot shift them', () => {
    const text = '42 (evil) S 1 2 3) R 7 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 123456 0 0';
    expect(parseProcStat(42, text)).toEqual({
      pid: 42,
      state: 'R',
      ppid: 7,
      pgrp: 42,
      session: 42,
      startTime: '123456',
    });
    expect(parseProcStat(1, 'garbage')).toBeUndefined();
  });

  it('reads this process from the real /proc', () => {
    expect(readProcSnapshot().get(process.pid)?.ppid).toBe(process.ppid);
  });
});

describe('collectDescendants', () => {
  it('follows ppid links and process group/session membership', () => {
    const snapshot: ProcSnapshot = new Map(
      [
        entry(1, 0),
        entry(100, 1), // the sandbox leader (own group and session)
        entry(101, 100, 100), // child in the group
        entry(102, 100, 102, 102), // setsid'd child: found through ppid
        entry(103, 102, 102, 102), // its child
        entry(104, 1, 100), // orphan still in the group (parent died)
        entry(200, 1), // unrelated
      ].map((e) => [e.pid, e]),
    );
    expect(
      collectDescendants(snapshot, 100)
        .map((e) => e.pid)
        .sort(),
    ).toEqual([101, 102, 103, 104]);
  });
});
