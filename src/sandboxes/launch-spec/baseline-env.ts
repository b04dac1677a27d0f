/**
 * Variables every server gets in addition to the --env allowlist (pinned in tests/pins). An --env
 * entry of the same name overrides the baseline.
 */
export const BASELINE_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/local/bin:/usr/bin:/bin',
});

/**
 * Variables a Python server gets in addition (pinned in tests/pins): no user site-packages, since the
 * server's HOME is its own persistent state home, and code it wrote there in one session must not be
 * imported at the start of the next. An --env entry of the same name overrides it.
 */
export const PYTHON_BASELINE_ENV: Readonly<Record<string, string>> = Object.freeze({
  PYTHONNOUSERSITE: '1',
});
