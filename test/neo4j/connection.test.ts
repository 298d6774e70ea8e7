/**
 * Credentials and deadlines: the password is taken from NEO4J_PASSWORD or the URI and never
 * appears in the archive, the log or an error; a refused login is AUTH_FAILED (33); a server that
 * does not answer is CONNECTION_FAILED (32) within the deadline.
 */
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueGraph } from '../helpers/neo4j-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { neo4jTest, type Neo4jTest } from './helpers.ts';

let t: Neo4jTest;
let dir: string;
const g = uniqueGraph('conn');

beforeAll(async () => {
  t = await neo4jTest();
  dir = mkdtempSync(path.join(os.tmpdir(), 'memarc-neo4j-conn-'));
  await t.run(`CREATE (:\`${g}\` {secretish: 'not a secret'})`);
});
afterAll(async () => {
  await t.run(`MATCH (n:\`${g}\`) DETACH DELETE n`);
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Neo4j credentials and deadlines', () => {
  it('reads NEO4J_USERNAME / NEO4J_PASSWORD and writes the password nowhere', async () => {
    const out = path.join(dir, 'env.memarc');
    const env = { NEO4J_URI: t.server.uri, NEO4J_USERNAME: t.server.username, NEO4J_PASSWORD: t.server.password };
    const r = await runCli(['export', '--neo4j', '--neo4j-graphs', g, '-o', out, '--progress'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(t.server.password);
    expect(readFileSync(out).includes(Buffer.from(t.server.password))).toBe(false);
    // With the credentials in the URI, the archive's source URL is masked.
    const out2 = path.join(dir, 'uri.memarc');
    const r2 = await runCli(['export', '--neo4j', t.server.uriWithAuth, '--neo4j-graphs', g, '-o', out2]);
    expect(r2.code, r2.stderr).toBe(0);
    const bytes = readFileSync(out2);
    expect(bytes.includes(Buffer.from(t.server.password))).toBe(false);
    expect(bytes.toString('latin1')).toMatch(/"url":\s*"bolt:\/\/\*\*\*@127\.0\.0\.1:\d+"/);
  });

  it('a wrong password is AUTH_FAILED and the message does not repeat it', async () => {
    const wrong = 'wrong-password-x1';
    const r = await runCli(['export', '--neo4j', t.server.uri, '-o', path.join(dir, 'x.memarc'), '--json'], { env: { NEO4J_USERNAME: 'neo4j', NEO4J_PASSWORD: wrong } });
    expect(r.code).toBe(33);
    const err = JSON.parse(r.stdout.toString()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('AUTH_FAILED');
    expect(r.stdout.toString() + r.stderr).not.toContain(wrong);
  });

  it('a server that accepts connections but never answers fails with CONNECTION_FAILED within the deadline', async () => {
    const silent = net.createServer(() => {}); // accepts, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const r = await runCli(['export', '--neo4j', `bolt://neo4j:pw-123456@127.0.0.1:${port}`, '--neo4j-timeout', '2', '-o', path.join(dir, 'y.memarc'), '--json']);
      expect(r.code).toBe(32);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(r.stdout.toString() + r.stderr).not.toContain('pw-123456');
    } finally {
      silent.close();
    }
  });
});
