/** `memarc demo` (what `npm run demo` runs): the OpenMemory-shaped SQLite file round-trips into a new file with equal digests, with no server. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

describe('memarc demo', () => {
  it('exports the SQLite file beside the synthetic vectors and graph, and restores it into a new file with equal digests', async () => {
    const r = await runCli(['demo', '--json', '--count', '60', '--dim', '8']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout.toString()) as { ok: boolean; datasets: Array<{ dataset: string; trailer: string; readBack: string; restoredFile?: string; source?: string; equal: boolean }> };
    expect(doc.ok).toBe(true);
    const tables = doc.datasets.filter((d) => d.restoredFile !== undefined);
    expect(tables.map((d) => d.dataset).sort()).toEqual(['apps', 'categories', 'memories', 'memory_access_logs', 'memory_categories', 'memory_status_history', 'users']);
    for (const d of tables) expect([d.dataset, d.restoredFile, d.readBack]).toEqual([d.dataset, d.trailer, d.trailer]);
    expect(doc.datasets.filter((d) => d.source !== undefined).map((d) => d.dataset).sort()).toEqual(['memory_graph', 'openmemory']);
    expect(doc.datasets.every((d) => d.equal)).toBe(true);
  }, 120_000);
});
