import type { FalkorClient, Reply } from './client.ts';

/** Redis server version (INFO server) and FalkorDB module version (MODULE LIST, e.g. 41603 → 4.16.3). */
export async function serverInfo(client: FalkorClient): Promise<{ serverVersion: string; moduleVersion: string }> {
  const info = String(await client.call('INFO', 'INFO', 'server'));
  const serverVersion = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
  let moduleVersion = 'unknown';
  const mods = (await client.call('MODULE LIST', 'MODULE', 'LIST')) as Reply[][];
  for (const m of mods ?? []) {
    const kv = new Map<string, Reply>();
    for (let i = 0; i + 1 < m.length; i += 2) kv.set(String(m[i]), m[i + 1]!);
    if (kv.get('name') === 'graph') {
      const v = Number(kv.get('ver'));
      moduleVersion = `${Math.floor(v / 10000)}.${Math.floor(v / 100) % 100}.${v % 100}`;
    }
  }
  return { serverVersion, moduleVersion };
}
