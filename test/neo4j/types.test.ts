/**
 * Every Neo4j property type through export and restore on the real server: the archive form of
 * each (spec/FORMAT.md 6.5, 15.6), and a restore that Neo4j itself finds equal value by value
 * (Cypher `=` on the two copies), with the same content digest when exported again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neo4jSink, neo4jSource } from '../../src/adapters/neo4j/index.ts';
import { uniqueGraph } from '../helpers/neo4j-server.ts';
import { failure } from '../helpers/failure.ts';
import { neo4jTest, readAll, restore, toBuffer, type Neo4jTest } from './helpers.ts';

let t: Neo4jTest;
const graphs: string[] = [];
const graph = (p: string) => {
  const g = uniqueGraph(p);
  graphs.push(g);
  return g;
};

beforeAll(async () => {
  t = await neo4jTest();
});
afterAll(async () => {
  for (const g of graphs) await t.run(`MATCH (n:\`${g}\`) DETACH DELETE n`);
  await t.close();
});

const VALUES = `{
  int: 42, big: 9223372036854775807, neg: -9223372036854775808,
  f: 0.1, two: 2.0, nz: -0.0, nan: 0.0/0.0, inf: 1.0/0.0, ninf: -1.0/0.0, tiny: 5e-324, huge: 1.7976931348623157e308,
  s: 'héllo \\u0000 😀', yes: true, ints: [1, 2, 3], floats: [1.5, -0.0], strs: ['a', 'b'], empty: [],
  geo: point({latitude: 47.3769, longitude: 8.5417}), geo3: point({latitude: -33.9, longitude: 18.4, height: 12.5}),
  xy: point({x: 1.5, y: -2e10}), xyz: point({x: 0.0, y: 1.0, z: -0.0}), pts: [point({x: 1, y: 2}), point({x: 3, y: 4})],
  d: date('-0044-03-15'), d2: date('+123456-01-01'),
  ldt: localdatetime('2026-03-01T12:00:00.123456789'), lt: localtime('23:59:59.000000001'),
  dt: datetime('2026-03-01T12:00:00.5+05:45'), dtz: datetime('2026-03-29T03:30:00.000000007[Europe/Zurich]'),
  ambiguous: datetime({year: 2026, month: 10, day: 25, hour: 2, minute: 30, timezone: 'Europe/Berlin'}) + duration('PT1H'),
  t: time('12:00:00.1-03:30'), du: duration('P1Y2M3DT4H5M6.000000007S'), dn: duration({days: -1, seconds: -5, nanoseconds: 3}),
  bytes: $bytes
}`;

describe('Neo4j property types', () => {
  it('archives every type in its tagged form and restores each value exactly', async () => {
    const g = graph('types');
    // Bolt bytes: the driver sends an Int8Array as bytes (a Uint8Array would go as a list).
    await t.run(`CREATE (n:\`${g}\`:Thing ${VALUES}) CREATE (n)-[:LINK ${VALUES}]->(n)`, { bytes: Int8Array.from([0, 1, -2, -1]) });
    const buf = await toBuffer([neo4jSource({ ...t.conn, graphs: [g] })]);
    const back = await readAll(buf);
    const recs = back.records.get(g)!;
    expect(recs.map((r) => r.kind)).toEqual(['node', 'edge']);
    const node = recs[0]!.record as { labels: string[]; props: Record<string, unknown> };
    expect(node.labels).toEqual(['Thing']); // the graph label is membership, not archived
    const p = node.props;
    expect(p.int).toBe(42);
    expect(p.big).toBe(9223372036854775807n);
    expect(p.neg).toBe(-9223372036854775808n);
    expect(p.f).toEqual({ double: 0.1 });
    expect(p.two).toEqual({ double: 2 });
    expect(p.nz).toEqual({ double: '-0' });
    expect(p.nan).toEqual({ double: 'NaN' });
    expect(p.inf).toEqual({ double: 'Infinity' });
    expect(p.ninf).toEqual({ double: '-Infinity' });
    expect(p.tiny).toEqual({ double: 5e-324 });
    expect(p.huge).toEqual({ double: 1.7976931348623157e308 });
    expect(p.s).toBe('héllo \u0000 😀');
    expect(p.ints).toEqual([1, 2, 3]);
    expect(p.floats).toEqual([{ double: 1.5 }, { double: '-0' }]);
    expect(p.empty).toEqual([]);
    expect(p.geo).toEqual({ point: { latitude: 47.3769, longitude: 8.5417 } });
    expect(p.geo3).toEqual({ point: { crs: 'wgs-84-3d', latitude: -33.9, longitude: 18.4, height: 12.5 } });
    expect(p.xy).toEqual({ point: { crs: 'cartesian', x: 1.5, y: -2e10 } });
    expect(Object.is((p.xyz as { point: { z: number } }).point.z, -0)).toBe(true);
    // Days since 1970-01-01, computed independently by JavaScript's proleptic Gregorian calendar.
    expect(p.d).toEqual({ date: Date.parse('-000044-03-15T00:00:00Z') / 86_400_000 });
    expect(p.d2).toEqual({ date: Date.parse('+123456-01-01T00:00:00Z') / 86_400_000 });
    expect(p.ldt).toEqual({ timestamp: '2026-03-01T12:00:00.123456789' });
    expect(p.lt).toEqual({ timeofday: '23:59:59.000000001' });
    expect(p.dt).toEqual({ zoneddatetime: '2026-03-01T12:00:00.5+05:45' });
    expect(p.dtz).toEqual({ zoneddatetime: '2026-03-29T03:30:00.000000007+02:00[Europe/Zurich]' });
    // 02:30 CEST + 1 h is 02:30 again, now CET: the offset tells the two apart.
    expect(p.ambiguous).toEqual({ zoneddatetime: '2026-10-25T02:30:00+01:00[Europe/Berlin]' });
    expect(p.t).toEqual({ zonedtime: '12:00:00.1-03:30' });
    expect(p.du).toEqual({ isoduration: { months: 14, days: 3, seconds: 14706, nanos: 7 } });
    expect(p.dn).toEqual({ isoduration: { months: 0, days: -1, seconds: -5, nanos: 3 } });
    expect(p.bytes).toEqual({ bytes: 'AAH+/w==' });

    const copy = graph('types_copy');
    const res = await restore(buf, neo4jSink({ ...t.conn, rename: { [g]: copy } }));
    expect(res.datasets[0]!.digest).toBe(back.digests.get(g));
    // Neo4j compares the two copies itself, property by property (NaN is never equal to itself).
    const keys = Object.keys(p).filter((k) => k !== 'nan');
    const [cmp] = await t.run(`MATCH (a:\`${g}\`), (b:\`${copy}\`) RETURN ${keys.map((k) => `a.${k} = b.${k} AND a.${k} IS NOT NULL AS ${k}`).join(', ')}, isNaN(b.nan) AS nan, labels(b) AS labels`);
    for (const k of keys) expect(cmp![k], k).toBe(true);
    expect(cmp!.nan).toBe(true);
    expect((cmp!.labels as string[]).sort()).toEqual([copy, 'Thing'].sort());
    const [sign] = await t.run(`MATCH (b:\`${copy}\`) RETURN 1.0 / b.nz AS nz, b.ambiguous.offset AS off`);
    expect(sign!.nz).toBe(-Infinity);
    expect(sign!.off).toBe('+01:00');
    const again = await readAll(await toBuffer([neo4jSource({ ...t.conn, graphs: [copy] })]));
    expect(again.digests.get(copy)).toBe(back.digests.get(g));
  });

  it('keeps properties named like what every JavaScript object has (__proto__, constructor, toString)', async () => {
    const g = graph('protos');
    await t.run(`CREATE (a:\`${g}\`:P {\`__proto__\`: 'p', \`constructor\`: 1, \`toString\`: 2.5})-[:R {\`__proto__\`: 7}]->(b:\`${g}\`:P {\`__proto__\`: [1, 2]})`);
    const buf = await toBuffer([neo4jSource({ ...t.conn, graphs: [g] })]);
    const back = await readAll(buf);
    const recs = back.records.get(g)!;
    const a = recs.find((r) => r.kind === 'node' && Object.getOwnPropertyDescriptor((r.record as { props: object }).props, 'constructor')?.value === 1)!.record as { props: Record<string, unknown> };
    expect(Object.getOwnPropertyDescriptor(a.props, '__proto__')?.value).toBe('p');
    const copy = graph('protos_copy');
    const res = await restore(buf, neo4jSink({ ...t.conn, rename: { [g]: copy } }));
    expect(res.datasets[0]!.digest).toBe(back.digests.get(g));
    const q = (x: string) => `MATCH (a:\`${x}\`)-[e:R]->(b:\`${x}\`) RETURN a.\`__proto__\` AS ap, a.\`constructor\` AS ac, a.\`toString\` AS at, e.\`__proto__\` AS ep, b.\`__proto__\` AS bp`;
    const [want] = await t.run(q(g));
    expect(want).toEqual({ ap: 'p', ac: 1n, at: 2.5, ep: 7n, bp: [1n, 2n] });
    expect((await t.run(q(copy)))[0]).toEqual(want);
  });

  it('refuses, naming node and property, a value Neo4j cannot store (a list of mixed types)', async () => {
    const { syntheticSource } = await import('../../src/adapters/synthetic/index.ts');
    // The synthetic graph is a FalkorDB graph: its lists hold one type, but every 13th node has a vecf32.
    const src = syntheticSource({ count: 3, dim: 4, datasets: ['graph'], graph: 'g' }); // node 0 has a vecf32
    const buf = await toBuffer([src]);
    const target = graph('refused');
    // A FalkorDB archive into Neo4j is a conversion: the dry run lists what maps approximately.
    const res = await restore(buf, neo4jSink({ ...t.conn, rename: { g: target } }), { dryRun: true });
    expect(res.datasets[0]!.actions.join('\n')).toMatch(/would convert from falkordb approximately: vecf32 as a list of floats \(1 value/);
    const { neo4jSink: sink } = await import('../../src/adapters/neo4j/index.ts');
    const bad = await failure(restore(await toBuffer([{
      async open() {
        return [{
          descriptor: { name: 'g', kind: 'neo4j.graph', family: 'graph' as const, store: 'neo4j', schema: {}, fingerprint: { indexes: [], constraints: [] }, source: { type: 'neo4j' } },
          async *batches(kind: string) {
            if (kind === 'node') yield [{ key: 1, labels: ['X'], props: { mixed: [1, 'a'] } }];
          },
        }] as never;
      },
      async close() {},
    }]), sink({ ...t.conn, rename: { g: target } })));
    expect(bad.code).toBe('STORE_ERROR');
    expect(bad.message).toMatch(/graph "g", node 1, property "mixed": Neo4j cannot store a list mixing integers and strings/);
    const [left] = await t.run(`MATCH (n:\`${target}\`) RETURN count(n) AS c`);
    expect(left!.c).toBe(0n);
  });
});
