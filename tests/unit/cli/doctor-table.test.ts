import { describe, expect, it } from 'vitest';
import { renderDoctorTable } from '../../../src/cli/doctor-table.ts';

describe('renderDoctorTable', () => {
  const text = renderDoctorTable(
    [
      { backend: 'bwrap', available: true, version: '0.8.0' },
      {
        backend: 'docker',
        available: false,
        reason: 'the docker engine is not reachable at /var/run/docker.sock (permission denied)',
        fix: 'sudo usermod -aG docker $USER && newgrp docker',
        checks: [{ name: 'engine', ok: false, detail: 'EACCES' }],
      },
    ],
    'bwrap',
    { node: 'v24.0.0', platform: 'linux' },
  );

  it('has the five columns and one row per backend', () => {
    expect(text).toMatch(/BACKEND\s+STATUS\s+VERSION\s+WHAT IS MISSING\s+FIX/);
    expect(text).toMatch(/^ {2}bwrap\s+ok\s+0\.8\.0\s+-\s+-$/m);
    expect(text).toMatch(/^ {2}docker\s+unavailable\s+-\s+the docker engine is not/m);
  });

  it('keeps the fix command whole and wraps what is missing', () => {
    expect(text).toContain('sudo usermod -aG docker $USER && newgrp docker');
    expect(text).toMatch(/engine: EACCES/);
    expect(text).toContain('✗ engine: EACCES');
    expect(text).toMatch(/--profile auto picks: bwrap$/);
  });
});
