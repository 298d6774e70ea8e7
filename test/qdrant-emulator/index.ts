/**
 * A Qdrant REST emulator for tests (no Qdrant server can be installed where memarc's tests run).
 * It covers the endpoints memarc uses; `DIFFERENCES.md` lists where it departs from a real server.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from './server.ts';

export interface EmulatorOptions {
  /** When set, every request but `/` and the health checks needs this key (`api-key` or Bearer). */
  apiKey?: string;
  /** Version reported by `GET /` (default 1.19.0, so the official client's version check is quiet). */
  version?: string;
  /** Port to listen on (default: a free port). */
  port?: number;
  /** Request size limit in MiB (Qdrant's `service.max_request_size_mb`, default 32). */
  maxRequestSizeMb?: number;
  /** Commit reported by `GET /` (default `memarc-emulator`). */
  commit?: string;
  /** Whether a failing upsert writes the batch's other valid points, as a real server may (default true). */
  partialWrites?: boolean;
  /** How vector values are printed: `float32` as Qdrant (default), or the cheaper `double` (json.ts). */
  floatFormat?: 'float32' | 'double';
}

export interface RunningEmulator {
  url: string;
  close(): Promise<void>;
}

export async function startQdrantEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const { server } = createServer({
    apiKey: opts.apiKey,
    maxRequestSizeMb: opts.maxRequestSizeMb,
    partialWrites: opts.partialWrites,
    floatFormat: opts.floatFormat,
    info: { version: opts.version ?? '1.19.0', commit: opts.commit ?? 'memarc-emulator' },
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
