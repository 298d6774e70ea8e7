/**
 * The test run's own temporary directory. vitest.config.ts points the workers' TMPDIR at it, so
 * every file, database, socket and state directory that a test (or a CLI child, or a server it
 * starts) makes under `os.tmpdir()` lands there; run-tmp-global.ts makes it before the first test
 * and removes it, whole, after the last. A test that forgets to clean up leaves nothing behind.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The directory, named by the vitest main process (the one that reads the config). */
export const RUN_TMP = join(tmpdir(), `memarc-test-${process.pid}`);
