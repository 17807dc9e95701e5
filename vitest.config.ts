import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two cores on CI: keep parallelism modest so child processes and brokers are not starved.
    maxWorkers: 2,
    // Human CLI output follows the config's language (zh-CN by default); tests that assert
    // English text get it from here, tests of the Chinese default remove it from the child env.
    env: { CEA_LANG: 'en' },
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
