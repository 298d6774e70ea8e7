/**
 * One FalkorDB server for a test file: started before its tests, with a connection to it, handed
 * to `use` (which may seed graphs), then disconnected and stopped after them.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startFalkorDB, type FalkorServer } from '../helpers/falkordb-server.ts';
import { redis } from './harness.ts';

export function falkordbPerFile(use: (srv: FalkorServer, r: Redis) => void | Promise<void>): void {
  let srv: FalkorServer | undefined;
  let r: Redis | undefined;
  beforeAll(async () => {
    srv = await startFalkorDB();
    r = redis(srv.url);
    await use(srv, r);
  });
  afterAll(async () => {
    r?.disconnect();
    await srv?.stop();
  });
}
