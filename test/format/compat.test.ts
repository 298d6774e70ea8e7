/**
 * What a v1 reader MUST accept (spec/FORMAT.md sections 3.3, 5, 9, 14): each compatibility
 * fixture reads with the golden archive's records, unknown members aside, and its digests.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnyRecord } from '../../src/format/records.ts';
import { COMPAT_FIXTURES } from '../../fixtures/compat.ts';
import { parseExpected } from '../../fixtures/expected.ts';
import { FIXTURES, readAll } from './support.ts';

const expected = parseExpected(readFileSync(path.join(FIXTURES, 'v1/golden.expected.json'), 'utf8'));

/** The record as the digest sees it: without members a later minor version added. */
function known(r: AnyRecord): AnyRecord {
  const { future: _future, ...rest } = r as AnyRecord & { future?: unknown };
  return rest as AnyRecord;
}

describe('compatibility fixtures', () => {
  it.each(COMPAT_FIXTURES.map((f) => [f.file, f] as const))('%s reads with the golden records and digests', async (_file, f) => {
    const warnings: string[] = [];
    const r = await readAll(readFileSync(path.join(FIXTURES, 'v1/compat', f.file)), { onWarning: (m) => warnings.push(m) });
    expect(r.error).toBeNull();
    expect(r.trailer).not.toBeNull();
    for (const d of expected.datasets) {
      for (const [kind, recs] of Object.entries(d.records)) expect(r.records.get(`${d.index}/${kind}`)?.map(known), `${d.name}/${kind}`).toStrictEqual(recs);
      expect(r.digests?.get(d.index)).toBe(d.digest);
    }
    for (const name of f.skipped ?? []) expect(warnings.some((w) => w.includes(name)), `a warning names ${name}: ${JSON.stringify(warnings)}`).toBe(true);
    if (!f.skipped) expect(warnings).toEqual([]);
  });

  it('the unknown-member fixture really carries unknown members', async () => {
    const r = await readAll(readFileSync(path.join(FIXTURES, 'v1/compat/unknown-record-members.memarc')));
    // The two records of data/0001-notes/point-000001 and of data/0003-knowledge_graph/node-000002.
    expect(r.records.get('1/point')?.map((p) => 'future' in p)).toEqual([true, true, false]);
    expect(r.records.get('3/node')?.map((n) => 'future' in n)).toEqual([false, false, true, true]);
  });
});
