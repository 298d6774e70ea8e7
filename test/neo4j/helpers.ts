/** Shared pieces of the Neo4j tests: a driver on the run's server, archives in memory, digests. */
import { Readable } from 'node:stream';
import neo4j, { type Driver } from 'neo4j-driver';
import type { Sink, Source } from '../../src/core/adapter.ts';
import { importArchive } from '../../src/core/import.ts';
import type { AnyRecord, RecordKind } from '../../src/format/records.ts';
import { readArchive } from '../../src/format/reader.ts';
import { neo4jTarget, type Neo4jTarget } from '../helpers/neo4j-server.ts';
import { exportToBuffer } from '../helpers/archive.ts';

export interface Neo4jTest {
  server: Neo4jTarget;
  driver: Driver;
  conn: { url: string; username: string; password: string };
  /** Runs a query in an auto-commit transaction (CALL … IN TRANSACTIONS works there). */
  run(q: string, params?: Record<string, unknown>): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export async function neo4jTest(): Promise<Neo4jTest> {
  const server = await neo4jTarget();
  const driver = neo4j.driver(server.uri, neo4j.auth.basic(server.username, server.password), { useBigInt: true });
  return {
    server,
    driver,
    conn: { url: server.uri, username: server.username, password: server.password },
    async run(q, params = {}) {
      const s = driver.session();
      try {
        return (await s.run(q, params)).records.map((r) => r.toObject() as Record<string, unknown>);
      } finally {
        await s.close();
      }
    },
    close: () => driver.close(),
  };
}

export async function toBuffer(sources: Source[]): Promise<Buffer> {
  return (await exportToBuffer({ sources })).bytes;
}

export interface ReadBack {
  header: { datasets: Array<Record<string, unknown>> };
  records: Map<string, Array<{ kind: RecordKind; record: AnyRecord }>>;
  digests: Map<string, string>;
}

/** Every record of an archive, by dataset name, with the trailer's digests. */
export async function readAll(buf: Buffer): Promise<ReadBack> {
  const out: ReadBack = { header: { datasets: [] }, records: new Map(), digests: new Map() };
  const names: string[] = [];
  for await (const ev of readArchive(Readable.from([buf]))) {
    if (ev.type === 'header') {
      out.header = ev.header as unknown as ReadBack['header'];
      for (const d of ev.header.datasets) names.push(d.name);
    } else if (ev.type === 'records') {
      const name = ev.dataset.name;
      const list = out.records.get(name) ?? [];
      for (const r of ev.records) list.push({ kind: ev.kind, record: r });
      out.records.set(name, list);
    } else if (ev.type === 'trailer') {
      for (const d of ev.trailer.datasets) out.digests.set(names[d.index - 1] ?? String(d.index), d.digest);
    }
  }
  return out;
}

export function restore(buf: Buffer, sink: Sink, extra: { dryRun?: boolean } = {}) {
  return importArchive({ input: Readable.from([buf]), sink, ...extra });
}
