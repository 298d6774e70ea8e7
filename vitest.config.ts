import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Starts the run's Neo4j server on demand, once (test/helpers/neo4j-server.ts).
    globalSetup: ['test/helpers/neo4j-global.ts'],
    maxWorkers: 2,
    // Resume checkpoints of the tests (and of the CLI children they start) stay out of the user's state directory.
    env: { MEMARC_STATE_DIR: process.env.MEMARC_STATE_DIR ?? join(tmpdir(), `memarc-test-state-${process.pid}`) },
    reporters: process.env.MEMARC_TEST_JSON ? ['default', ['json', { outputFile: process.env.MEMARC_TEST_JSON }]] : ['default'],
  },
});
