/** vitest globalSetup: makes the run's temporary directory (run-tmp.ts) and removes it at the end. */
import { chmod, mkdir, rm } from 'node:fs/promises';
import { RUN_TMP } from './run-tmp.ts';

export default async function setup(): Promise<() => Promise<void>> {
  await rm(RUN_TMP, { recursive: true, force: true });
  await mkdir(RUN_TMP, { recursive: true });
  // Traversable by all, as /tmp is: the Postgres server runs as another user when tests run as
  // root (postgres-server.ts), and reaches its data directory through this one.
  await chmod(RUN_TMP, 0o755);
  return async () => {
    if (process.env.MEMARC_KEEP_TEST_TMP) {
      console.log(`test files kept in ${RUN_TMP} (MEMARC_KEEP_TEST_TMP)`);
      return;
    }
    await rm(RUN_TMP, { recursive: true, force: true, maxRetries: 3 });
  };
}
