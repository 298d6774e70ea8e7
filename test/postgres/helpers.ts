/** Export and query helpers of the Postgres tests. */
import pg from 'pg';
import { endpointOf, postgresSource } from '../../src/adapters/postgres/index.ts';
import type { Header, Trailer } from '../../src/format/header.ts';
import { exportToBuffer } from '../helpers/archive.ts';

export async function exportDb(url: string, extra: { tables?: string[]; schemas?: string[] } = {}): Promise<{ bytes: Buffer; header: Header; trailer: Trailer }> {
  return exportToBuffer({ sources: [postgresSource({ endpoint: endpointOf(url, {}), ...extra })], shardMaxRecords: 50 });
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

