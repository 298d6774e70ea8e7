/** Export and query helpers of the Postgres tests. */
import { Writable } from 'node:stream';
import pg from 'pg';
import { endpointOf, postgresSource } from '../../src/adapters/postgres/index.ts';
import { exportArchive } from '../../src/core/export.ts';
import type { Header, Trailer } from '../../src/format/header.ts';

export async function exportDb(url: string, extra: { tables?: string[]; schemas?: string[] } = {}): Promise<{ bytes: Buffer; header: Header; trailer: Trailer }> {
  const chunks: Buffer[] = [];
  const out = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } });
  const { header, trailer } = await exportArchive({ sources: [postgresSource({ endpoint: endpointOf(url, {}), ...extra })], output: out, shardMaxRecords: 50 });
  return { bytes: Buffer.concat(chunks), header, trailer };
}

export async function rows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

