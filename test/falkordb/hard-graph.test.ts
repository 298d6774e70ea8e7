/**
 * A "hard graph" built through Cypher on the real server, taken through a real archive (export,
 * bytes, import) and compared on the server itself: every value either comes back exactly or is
 * refused at export (naming graph, entity and property), or is archived with a warning that
 * names it. Empty graphs and fulltext indexes with every option come back too.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { falkordbSink, falkordbSource } from '../../src/adapters/falkordb/index.ts';
import { importArchive } from '../../src/core/import.ts';
import { type FalkorServer } from '../helpers/falkordb-server.ts';
import { exportGraph, q } from './harness.ts';
import { exportToBuffer } from '../helpers/archive.ts';
import { falkordbPerFile } from './per-file.ts';

let srv: FalkorServer;
let r: Redis;

/** Export `graphs` into archive bytes, collecting the log. */
async function archive(graphs: string[], log: string[] = []): Promise<Buffer> {
  return (await exportToBuffer({ sources: [falkordbSource({ url: srv.url, graphs, log: (m) => log.push(m) })] })).bytes;
}

async function restore(bytes: Buffer, rename: Record<string, string>): Promise<void> {
  await importArchive({ input: Readable.from([bytes]), sink: falkordbSink({ url: srv.url, rename }) });
}

/** The first row of a query, as plain strings. */
async function row(graph: string, cypher: string): Promise<string[]> {
  const res = (await q(r, graph, cypher)) as [unknown, Array<Array<[string, unknown]>>];
  return res[1][0]!.map((c) => String(c[1]));
}

falkordbPerFile(async (s, c) => {
  srv = s;
  r = c;
  await q(r, 'hard', `CREATE
    (a:H {max: 1.7976931348623157e308, max2: 1.7976931348623155e308, nmax: -1.7976931348623157e308, tiny: 2.0^-1074, third: 1.0 / 3,
      nan: 0.0 / 0.0, inf: 1.0 / 0.0, negz: -0.0, big: 9223372036854775807,
      arr: [0.1 + 0.2, 1.7976931348623157e308, -1.7976931348623155e308, 2.0^-1074, -0.0, 7, 'x', true],
      nested: [[0.1 + 0.2, [1.0 / 3, 'z']], 'y'], deep: [[[[0.1 + 0.2]]]],
      p0: point({latitude: -0.0, longitude: -0.0}), pa: [point({latitude: 1.5, longitude: -0.0})], p: point({latitude: 47.3769, longitude: 8.5417}),
      v: vecf32([0.1, -0.0, 3.4e38]), d: date('2020-01-02'), dt: localdatetime('2024-02-29T23:59:58'), t: localtime('01:02:03'), du: duration({days: -1, seconds: 5}),
      text: 'the quick brown fox', title: 'memarc'}),
    (b:H:M {text: 'und der hund', title: 'fulltext', third: 2.0 / 3}),
    (a)-[:E {w: 0.1 + 0.2, ws: [1.0 / 3, 2.5], at: date('1969-07-20')}]->(b),
    (b)-[:E {w: 1.7976931348623157e308}]->(a)`);
  // One fulltext index over two fields with explicit stopwords, and every field option.
  await q(r, 'hard', "CALL db.idx.fulltext.createNodeIndex({label: 'M', language: 'german', stopwords: ['und', 'der']}, {field: 'text', weight: 2.5, nostem: true}, {field: 'title', phonetic: 'dm:en'})");
  await q(r, 'hard', "CREATE FULLTEXT INDEX FOR ()-[e:E]-() ON (e.a, e.b) OPTIONS {language: 'french', stopwords: ['le']}");
  await q(r, 'empty', 'RETURN 1'); // a graph key without any node
});

describe('falkordb hard graph', () => {
  it('restores every value exactly through an archive, and names what it changes', async () => {
    const log: string[] = [];
    await restore(await archive(['hard'], log), { hard: 'hard2' });
    // Compared on the server, value by value, against the same expressions: exact, not through text.
    const checks = [
      'n.max = 1.7976931348623157e308', 'n.max2 = 1.7976931348623155e308', 'n.nmax = -1.7976931348623157e308', 'n.tiny = 2.0^-1074', 'n.third = 1.0 / 3',
      'n.nan <> n.nan', 'n.inf = 1.0 / 0.0', '1.0 / n.negz < 0', 'n.big = 9223372036854775807',
      'n.arr[0] = 0.1 + 0.2', 'n.arr[1] = 1.7976931348623157e308', 'n.arr[2] = -1.7976931348623155e308', 'n.arr[3] = 2.0^-1074', '1.0 / n.arr[4] < 0',
      "n.arr[5] = 7 AND typeOf(n.arr[5]) = 'Integer'", 'n.nested[0][0] = 0.1 + 0.2', 'n.nested[0][1][0] = 1.0 / 3', "n.arr[6] = 'x'", 'n.arr[7] = true', 'size(n.arr) = 8',
      'n.p = point({latitude: 47.3769, longitude: 8.5417})', '1.0 / n.p0.latitude < 0 AND 1.0 / n.p0.longitude < 0', '1.0 / n.pa[0].longitude < 0 AND n.pa[0].latitude = 1.5', "n.d = date('2020-01-02')", "n.dt = localdatetime('2024-02-29T23:59:58')",
      "n.t = localtime('01:02:03')", 'n.du = duration({days: -1, seconds: 5})', 'n.v = vecf32([0.1, -0.0, 3.4e38])',
    ];
    const cypher = `MATCH (n:H) WHERE n.title = 'memarc' RETURN ${checks.join(', ')}`;
    expect(await row('hard', cypher)).toEqual(checks.map(() => 'true')); // the checks hold on the source
    expect(await row('hard2', cypher)).toEqual(checks.map(() => 'true'));
    expect(await row('hard2', "MATCH (:H {title: 'memarc'})-[e:E]->() RETURN e.w = 0.1 + 0.2, e.ws[0] = 1.0 / 3, e.at = date('1969-07-20')")).toEqual(['true', 'true', 'true']);
    expect(await row('hard2', "MATCH (:M)-[e:E]->() RETURN e.w = 1.7976931348623157e308")).toEqual(['true']);
    // Archived with a warning naming graph, node and property: doubles nested deeper than 3 arrays.
    expect(log.join('\n')).toMatch(/graph "hard", node \d+, property "deep": doubles nested more than 3 arrays deep are archived with 15 significant digits/);
    expect(log.join('\n')).not.toMatch(/property "(nested|p0|pa)"/);
    // Indexes: the fingerprint (with nostem, phonetic, weight, language and stopwords) comes back.
    const before = await exportGraph(srv.url, 'hard');
    const after = await exportGraph(srv.url, 'hard2');
    expect(after.descriptor.fingerprint).toEqual(before.descriptor.fingerprint);
    expect(before.descriptor.fingerprint.indexes).toContainEqual({ type: 'fulltext', entity: 'node', label: 'M', property: 'text', options: { language: 'german', stopwords: ['der', 'und'], weight: 2.5, nostem: true } });
    expect(before.descriptor.fingerprint.indexes).toContainEqual({ type: 'fulltext', entity: 'node', label: 'M', property: 'title', options: { language: 'german', stopwords: ['der', 'und'], weight: 1, phonetic: true } });
    expect(before.descriptor.fingerprint.indexes).toContainEqual({ type: 'fulltext', entity: 'relationship', label: 'E', property: 'b', options: { language: 'french', stopwords: ['le'], weight: 1 } });
    expect(after.totals).toEqual(before.totals);
  });

  it('asks a page again when it holds doubles under a key the sample did not see', async () => {
    // The first 1,000 nodes seed the exact columns; `late` and `lateArr` hold doubles only after them.
    await q(r, 'late', `UNWIND range(0, 1499) AS i CREATE (:N {i: i, late: CASE WHEN i >= 1200 THEN toFloat(i) / 7 ELSE i END,
      lateArr: CASE WHEN i >= 1300 THEN [toFloat(i) / 3, [toFloat(i) / 11]] ELSE [i] END})`);
    const x = await exportGraph(srv.url, 'late', { pageSize: 100 });
    expect(x.nodes).toHaveLength(1500);
    for (const n of x.nodes) {
      const i = n.props.i as number;
      expect(n.props.late).toEqual(i >= 1200 ? { double: i / 7 } : i);
      expect(n.props.lateArr).toEqual(i >= 1300 ? [{ double: i / 3 }, [{ double: i / 11 }]] : [i]);
    }
  });

  it('restores properties named like what every JavaScript object has (__proto__, constructor, toString)', async () => {
    await q(r, 'protos', "CREATE (a:P {`__proto__`: 'p', `constructor`: 1, `toString`: 'ts', `hasOwnProperty`: 2.5})-[:R {`__proto__`: 7, `valueOf`: 'v'}]->(:P {`__proto__`: 'b'})");
    await restore(await archive(['protos']), { protos: 'protos2' });
    const cols = 'a.`__proto__`, a.`constructor`, a.`toString`, a.`hasOwnProperty`, e.`__proto__`, e.`valueOf`, b.`__proto__`';
    const want = await row('protos', `MATCH (a:P)-[e:R]->(b:P) RETURN ${cols}`);
    expect(want).toEqual(['p', '1', 'ts', '2.5', '7', 'v', 'b']);
    expect(await row('protos2', `MATCH (a:P)-[e:R]->(b:P) RETURN ${cols}`)).toEqual(want);
    expect(await row('protos2', 'MATCH (n) RETURN count(n)')).toEqual(['2']);
  });

  it('restores an empty graph', async () => {
    await restore(await archive(['empty']), { empty: 'empty2' });
    expect((await r.call('GRAPH.LIST')) as string[]).toContain('empty2');
    expect(await row('empty2', 'MATCH (n) RETURN count(n)')).toEqual(['0']);
  });

  it('restores arrays holding points, vectors, temporal values and non-finite doubles', async () => {
    await q(r, 'arrays', `CREATE (:N {
      pts: [point({latitude: 1, longitude: 2}), point({latitude: -33.5, longitude: 151.25})],
      vecs: [vecf32([1.0, -0.5]), vecf32([0.1])],
      days: [date('2020-01-02'), date('1969-07-20')],
      mixed: [1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0, 0.1 + 0.2, 7, 'x', localtime('12:00:01'), localdatetime('2024-02-29T23:59:58'), duration({days: 3, seconds: 4})],
      nested: [1, [1.0 / 0.0, [date('2020-01-02'), point({latitude: 5, longitude: 6})]], []]
    })-[:R {when: [date('2020-01-02')], inf: [1.0 / 0.0]}]->(:M {v: [vecf32([2.0])]})`);
    await restore(await archive(['arrays']), { arrays: 'arrays2' });
    const checks = [
      'n.pts = [point({latitude: 1, longitude: 2}), point({latitude: -33.5, longitude: 151.25})]',
      'n.vecs[0] = vecf32([1.0, -0.5]) AND n.vecs[1] = vecf32([0.1]) AND size(n.vecs) = 2',
      "n.days = [date('2020-01-02'), date('1969-07-20')]",
      'n.mixed[0] = 1.0 / 0.0 AND n.mixed[1] = -1.0 / 0.0 AND n.mixed[2] <> n.mixed[2] AND n.mixed[3] = 0.1 + 0.2',
      "n.mixed[4] = 7 AND n.mixed[5] = 'x' AND n.mixed[6] = localtime('12:00:01') AND n.mixed[7] = localdatetime('2024-02-29T23:59:58') AND n.mixed[8] = duration({days: 3, seconds: 4}) AND size(n.mixed) = 9",
      "n.nested[0] = 1 AND n.nested[1][0] = 1.0 / 0.0 AND n.nested[1][1] = [date('2020-01-02'), point({latitude: 5, longitude: 6})] AND n.nested[2] = [] AND size(n.nested) = 3",
      "e.when = [date('2020-01-02')] AND e.inf = [1.0 / 0.0]",
      'm.v[0] = vecf32([2.0])',
    ];
    const cypher = `MATCH (n:N)-[e:R]->(m:M) RETURN ${checks.join(', ')}`;
    expect(await row('arrays', cypher)).toEqual(checks.map(() => 'true'));
    expect(await row('arrays2', cypher)).toEqual(checks.map(() => 'true'));
    expect((await exportGraph(srv.url, 'arrays2')).totals).toEqual((await exportGraph(srv.url, 'arrays')).totals);
  });
});
