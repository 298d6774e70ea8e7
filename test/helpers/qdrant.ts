/**
 * Where Qdrant integration tests run: a real server when QDRANT_URL is set (QDRANT_API_KEY
 * optional), else the in-process emulator. Every Qdrant test goes through `qdrantTarget()` so that
 * it runs unchanged against a real server.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { startQdrantEmulator } from '../qdrant-emulator/index.ts';

export interface QdrantTarget {
  url: string;
  apiKey?: string;
  /** True when the tests talk to a real server (QDRANT_URL). */
  real: boolean;
  /** Stops the emulator; does nothing for a real server. */
  close(): Promise<void>;
}

export async function qdrantTarget(): Promise<QdrantTarget> {
  const url = process.env.QDRANT_URL;
  if (url) {
    const apiKey = process.env.QDRANT_API_KEY || undefined;
    return { url: url.replace(/\/+$/, ''), apiKey, real: true, close: async () => {} };
  }
  const emulator = await startQdrantEmulator();
  return { url: emulator.url, real: false, close: () => emulator.close() };
}

/** A collection name no other test run uses, so tests do not collide on a shared real server. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** Headers for a raw REST call (JSON body, api key when there is one). */
export function qdrantHeaders(apiKey?: string): Record<string, string> {
  return { 'content-type': 'application/json', ...(apiKey ? { 'api-key': apiKey } : {}) };
}

/** Deletes collections (and with them their aliases); a missing collection is not an error. */
export async function dropCollections(url: string, apiKey: string | undefined, names: Iterable<string>): Promise<void> {
  for (const name of names) {
    const res = await fetch(`${url}/collections/${encodeURIComponent(name)}`, { method: 'DELETE', headers: qdrantHeaders(apiKey) });
    await res.body?.cancel();
    if (!res.ok && res.status !== 404) throw new Error(`dropping test collection ${name} failed with HTTP ${res.status}`);
  }
}

/** Deletes aliases; a missing alias is not an error. */
export async function dropAliases(url: string, apiKey: string | undefined, aliases: Iterable<string>): Promise<void> {
  const actions = [...aliases].map((alias_name) => ({ delete_alias: { alias_name } }));
  if (actions.length === 0) return;
  const res = await fetch(`${url}/collections/aliases`, { method: 'POST', headers: qdrantHeaders(apiKey), body: JSON.stringify({ actions }) });
  await res.body?.cancel();
}

/** The local checkpoint file memarc keeps for (run id, Qdrant server, target) (src/core/checkpoint.ts). */
export async function checkpointFile(url: string, runId: string, target: string) {
  const { Checkpoints, stateDir } = await import('../../src/core/checkpoint.ts');
  const { QdrantHttp } = await import('../../src/adapters/qdrant/http.ts');
  return new Checkpoints(stateDir(), runId).for({ store: 'qdrant', url: new QdrantHttp({ url }).safeUrl, target });
}

/** The resume checkpoint memarc keeps locally for (run id, target), or null when there is none. */
export async function checkpointOf(url: string, _apiKey: string | undefined, runId: string, target: string): Promise<unknown> {
  return (await checkpointFile(url, runId, target)).load();
}

/** Removes memarc's resume checkpoint of (run id, target): for tests that stop a load part-way. */
export async function dropCheckpoint(url: string, _apiKey: string | undefined, runId: string, target: string): Promise<void> {
  await (await checkpointFile(url, runId, target)).remove();
}

/**
 * A Qdrant target for one test file: `use` receives it before the file's tests; after them every
 * collection added to the returned set is dropped and the target closed.
 */
export function qdrantPerFile(use: (target: QdrantTarget) => void): Set<string> {
  const created = new Set<string>();
  let target: QdrantTarget | undefined;
  beforeAll(async () => {
    target = await qdrantTarget();
    use(target);
  });
  afterAll(async () => {
    if (!target) return;
    await dropCollections(target.url, target.apiKey, [...created]);
    await target.close();
  });
  return created;
}
