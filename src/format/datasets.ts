/**
 * One view of a header dataset for both major versions (spec/FORMAT.md 4.1, 4.5): its family, its
 * native store and the native configuration. A format-1 `qdrant.collection` is the family
 * `vectors` with native store `qdrant`, a `falkordb.graph` is `graph`/`falkordb`; a format-2
 * dataset says both itself (its store may be absent, or one this build has no adapter for).
 */
import type { HeaderDataset } from './header.ts';
import { KIND_FAMILY, type Family, type JsonObject } from './records.ts';

export function datasetFamily(d: HeaderDataset): Family {
  if (d.family) return d.family;
  return KIND_FAMILY[d.kind!].family;
}

/** The native store, or null when a format-2 dataset has no native block. */
export function datasetStore(d: HeaderDataset): string | null {
  if (d.kind) return KIND_FAMILY[d.kind].store;
  return d.native?.store ?? null;
}

/** The native configuration (format 1: the fingerprint); `{}` when there is none. */
export function nativeConfig(d: HeaderDataset): JsonObject {
  return d.fingerprint ?? d.native?.config ?? {};
}

/** The neutral schema (format 2); format 1 has none, so `{}`. */
export function neutralSchema(d: HeaderDataset): JsonObject {
  return d.schema ?? {};
}

/** For people: `qdrant.collection` (format 1) or `vectors/qdrant`, `table` (format 2). */
export function datasetLabel(d: HeaderDataset): string {
  if (d.kind) return d.kind;
  const store = datasetStore(d);
  return store ? `${d.family}/${store}` : d.family!;
}

/** The hash that identifies the dataset's schema: the fingerprint's (v1) or the neutral schema's (v2). */
export function schemaHash(d: HeaderDataset): string {
  return d.fingerprintSha256 ?? d.schemaSha256 ?? '';
}

/**
 * The format-1 kind name a dataset stands for, which sinks still match on: the store and its
 * object for the two stores format 1 named, `<store>.<family>` for any other store, and the bare
 * family for a dataset without a native store.
 */
export function legacyKind(family: Family, store: string | null): string {
  for (const [kind, v] of Object.entries(KIND_FAMILY)) if (v.family === family && v.store === store) return kind;
  return store ? `${store}.${family}` : family;
}

/** The primary key columns of a table dataset's schema (validated by the header). */
export function primaryKeyOf(d: HeaderDataset): string[] {
  if (d.family !== 'table') return [];
  const pk = (d.schema as { primaryKey?: unknown }).primaryKey;
  return Array.isArray(pk) ? (pk as string[]) : [];
}

/** The column names and the primary key of a table dataset. */
export function tableColumns(d: HeaderDataset): { columns: Set<string>; primaryKey: string[] } {
  const cols = (d.schema as { columns?: Array<{ name: string }> }).columns ?? [];
  return { columns: new Set(cols.map((c) => c.name)), primaryKey: primaryKeyOf(d) };
}
