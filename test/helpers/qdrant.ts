/**
 * Where Qdrant integration tests run: a real server when QDRANT_URL is set (QDRANT_API_KEY
 * optional), else the in-process emulator. Every Qdrant test goes through `qdrantTarget()` so that
 * it runs unchanged against a real server.
 */
import { randomBytes } from 'node:crypto';
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

/**
 * The resume checkpoint memarc keeps on the server for (run id, target), or null when there is
 * none. Tests check their own checkpoint, never the whole `memarc_checkpoints` collection, which
 * other runs on a shared server may be using at the same time.
 */
export async function checkpointOf(url: string, apiKey: string | undefined, runId: string, target: string): Promise<unknown> {
  const { CHECKPOINT_COLLECTION, checkpointId } = await import('../../src/adapters/qdrant/checkpoint.ts');
  const res = await fetch(`${url}/collections/${CHECKPOINT_COLLECTION}/points`, {
    method: 'POST',
    headers: qdrantHeaders(apiKey),
    body: JSON.stringify({ ids: [checkpointId(runId, target)], with_payload: true }),
  });
  const text = await res.text();
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`reading checkpoint of ${target} failed with HTTP ${res.status}: ${text}`);
  const points = (JSON.parse(text) as { result: Array<{ payload?: unknown }> }).result;
  return points[0]?.payload ?? null;
}

/**
 * Removes memarc's resume checkpoint of (run id, target), and the checkpoint collection once it
 * holds no other: for tests that stop a load part-way, so that a failing assertion before their
 * resume leaves nothing behind on a shared server.
 */
export async function dropCheckpoint(url: string, apiKey: string | undefined, runId: string, target: string): Promise<void> {
  const { CheckpointStore } = await import('../../src/adapters/qdrant/checkpoint.ts');
  const { QdrantApi } = await import('../../src/adapters/qdrant/api.ts');
  const { QdrantHttp } = await import('../../src/adapters/qdrant/http.ts');
  await new CheckpointStore(new QdrantApi(new QdrantHttp({ url, apiKey }))).remove(runId, target);
}
