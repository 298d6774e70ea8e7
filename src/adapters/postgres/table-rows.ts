/**
 * The rows a TableSink loads and reads back: archive records as table rows (a point of a vectors
 * dataset becomes `id`, its vector columns and `payload`: ddl.ts defFromVectors), the digest of
 * the staging table read back as an export would read it, and, for another store's table, the
 * archive's rows as Postgres will print them (Respelled).
 */
import type pg from 'pg';
import { MemarcError } from '../../errors.ts';
import { DatasetDigest } from '../../format/digest.ts';
import { parseJsonBounded, setMember, stringifyJson } from '../../format/json.ts';
import type { CellValue, PointRecord, RecordByKind, RecordKind, RowRecord } from '../../format/records.ts';
import { codecOf } from './codec.ts';
import { ident, type PgEndpoint } from './connect.ts';
import type { CopyInColumn } from './copy-in.ts';
import { copyOut } from './copy-out.ts';
import { pointOf, type VectorsView } from './vectors.ts';

/** The vector columns of a table built for a vectors dataset: vector name → column. */
export type VectorColumns = Array<{ vector: string; column: string; kind: string }>;

/** The batch as rows of the table: row records as they are, points through the vector columns. */
export function rowsOf<K extends RecordKind>(kind: K, batch: RecordByKind[K][], vectors: VectorColumns | null): Array<Record<string, CellValue>> {
  if (kind === 'row') return (batch as RowRecord[]).map((r) => r.cells);
  if (kind === 'point' && vectors) {
    return (batch as PointRecord[]).map((p) => {
      const cells: Record<string, CellValue> = { id: String(p.id), payload: p.payload === null ? null : { json: p.payload } };
      for (const v of vectors) {
        const x = p.vectors[v.vector];
        if (!x) setMember(cells, v.column, null);
        else if ('dense' in x) setMember(cells, v.column, { vecf32: x.dense });
        else if ('sparse' in x) setMember(cells, v.column, { json: { dimension: Math.max(1, ...x.sparse.indices.map((i) => i + 1)), indices: x.sparse.indices, values: x.sparse.values } });
        else throw new MemarcError('USAGE', `point ${String(p.id)}: pgvector has no multivector type`);
      }
      for (const name of Object.keys(p.vectors)) {
        if (!vectors.some((v) => v.vector === name)) throw new MemarcError('MALFORMED_RECORD', `point ${String(p.id)} has a vector "${name}" the dataset's schema does not declare`);
      }
      return cells;
    });
  }
  throw new MemarcError('USAGE', `a Postgres table cannot hold ${kind} records`);
}

/**
 * A table of another store may spell a value otherwise than Postgres prints it back (a fraction
 * `.000010` that Postgres prints `.00001`): the same value, another text, another digest. For
 * such a table the archive's rows are also digested as Postgres will print them (each cell
 * encoded and decoded by the column's codec, which keeps values exactly); the read-back must
 * equal that digest, and the cells spelled otherwise are counted for the report.
 */
export class Respelled {
  readonly digest: DatasetDigest;
  cells = 0;
  readonly first: string[] = [];

  constructor(formatMajor?: number) {
    this.digest = new DatasetDigest({ ...(formatMajor ? { major: formatMajor } : {}) });
  }

  add(rows: Array<Record<string, CellValue>>, columns: CopyInColumn[]): void {
    for (const cells of rows) {
      const out: Record<string, CellValue> = {};
      for (const c of columns) {
        const v = cells[c.name] ?? null;
        const back = v === null ? null : c.codec.decode(c.codec.encode(v));
        const [a, b] = [stringifyJson(v), stringifyJson(back)];
        if (a !== b) {
          this.cells++;
          if (this.first.length < 3) this.first.push(`column "${c.name}": ${a} → ${b}`);
        }
        setMember(out, c.name, back);
      }
      this.digest.add('row', { cells: out });
    }
  }
}

/**
 * Another store's table may hold a JSON document as text in a column its schema calls `json`
 * (SQLite keeps JSON as TEXT, and archives text that is not in canonical form as the string it
 * is: spec/FORMAT.md 15.5). Converted into a json or jsonb column, such a string is parsed as the
 * document it holds, within the nesting bound of a `json` cell (64 levels); text that is not JSON
 * stays a string, which the column refuses by name. jsonb keeps neither spacing nor key order, so
 * the cells parsed are counted and reported: the read-back compares the parsed documents.
 */
export class JsonText {
  cells = 0;
  private readonly first: string[] = [];
  private readonly columns: string[];
  constructor(columns: string[]) {
    this.columns = columns;
  }

  parse(rows: Array<Record<string, CellValue>>): Array<Record<string, CellValue>> {
    if (this.columns.length === 0) return rows;
    // New row objects where a cell changes: the archive's records stay as read (they are digested too).
    return rows.map((row) => {
      let cells = row;
      for (const c of this.columns) {
        const v = row[c];
        if (typeof v !== 'string') continue;
        let doc: unknown;
        try {
          doc = parseJsonBounded(v, 64);
        } catch {
          continue; // not JSON (or nested too deep): the codec refuses the string, naming the row
        }
        if (cells === row) cells = { ...row };
        setMember(cells, c, { json: doc } as CellValue);
        this.cells++;
        if (this.first.length < 3) this.first.push(`column "${c}": ${v.length > 40 ? `${v.slice(0, 37)}...` : v}`);
      }
      return cells;
    });
  }

  report(): string {
    return `${this.cells} cell(s) of JSON text in json columns were parsed into documents (their spacing and key order are not kept), e.g. ${this.first.join('; ')}`;
  }
}

/** The staging table read back with binary COPY and digested as its records (rows, or points). */
export async function readBackDigest(o: { client: pg.Client; ep: PgEndpoint; staged: string; columns: CopyInColumn[]; vectors: VectorColumns | null; formatMajor?: number }): Promise<DatasetDigest> {
  const digest = new DatasetDigest({ ...(o.formatMajor ? { major: o.formatMajor } : {}) });
  const view: VectorsView | null = o.vectors
    ? {
        id: { name: 'id', type: 'text', pgType: { name: 'text', oid: 25, typtype: 'b' }, typmod: -1, notNull: true },
        vectors: o.vectors.map((v) => ({ column: v.column, name: v.vector, kind: v.kind === 'sparse' ? 'sparse' : 'dense', datatype: 'float32', distance: 'cosine' })),
        payload: ['payload'],
        payloadJson: 'payload',
      }
    : null;
  let row = 0;
  for await (const batch of copyOut({
    client: o.client, ep: o.ep, what: `table ${o.staged}`, batchRows: 1000, batchBytes: 4 * 1024 * 1024,
    sql: `COPY ${o.staged} (${o.columns.map((c) => ident(c.name)).join(', ')}) TO STDOUT (FORMAT binary)`,
    // A payload's numbers keep their written form (spec/FORMAT.md 7.3); jsonb keeps it too.
    columns: view ? o.columns.map((c) => (c.name === 'payload' ? { ...c, codec: codecOf({ name: 'jsonb', oid: 3802, typtype: 'b' }, { payload: true })! } : c)) : o.columns,
  })) {
    for (const cells of batch) {
      row++;
      if (view) digest.add('point', pointOf(view, cells, () => `table ${o.staged}, row ${row}`));
      else digest.add('row', { cells });
    }
  }
  return digest;
}
