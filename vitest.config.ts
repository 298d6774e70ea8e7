import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { RUN_TMP } from './test/helpers/run-tmp.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The run's temporary directory, removed whole at the end (test/helpers/run-tmp.ts), and the
    // run's Neo4j server, started on demand, once (test/helpers/neo4j-server.ts).
    globalSetup: ['test/helpers/run-tmp-global.ts', 'test/helpers/neo4j-global.ts'],
    maxWorkers: 2,
    // Temporary files of the tests (and of the CLI children and servers they start) go into the
    // run's own directory; resume checkpoints stay out of the user's state directory.
    env: { TMPDIR: RUN_TMP, MEMARC_STATE_DIR: process.env.MEMARC_STATE_DIR ?? join(RUN_TMP, 'state') },
    reporters: process.env.MEMARC_TEST_JSON ? ['default', ['json', { outputFile: process.env.MEMARC_TEST_JSON }]] : ['default'],
  },
});
