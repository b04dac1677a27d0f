/**
 * Variables every server gets in addition to the --env allowlist (pinned in tests/pins). An --env
 * entry of the same name overrides the baseline.
 */
export const BASELINE_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/local/bin:/usr/bin:/bin',
});
