/**
 * vitest globalSetup: a control endpoint on loopback that starts the run's one Neo4j server the
 * first time a test asks for it (neo4j-server.ts `neo4jTarget()`), and stops it when the run ends.
 * A run without Neo4j tests starts nothing (the endpoint costs a listening socket). Starting is
 * serialised: concurrent first calls from two workers wait for the same server.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { externalNeo4j, startNeo4j, type Neo4jServer } from './neo4j-server.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let starting: Promise<Neo4jServer> | null = null;
  const http = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/start') {
      res.writeHead(404).end();
      return;
    }
    starting ??= startNeo4j();
    starting.then(
      (s) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ uri: s.uri, username: s.username, password: s.password, uriWithAuth: s.uriWithAuth, external: false })),
      (e: Error) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: e.message })),
    );
  });
  if (!externalNeo4j()) {
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    project.provide('neo4jControl', `http://127.0.0.1:${(http.address() as AddressInfo).port}`);
  } else {
    project.provide('neo4jControl', '');
  }
  return async () => {
    http.close();
    if (starting) await (await starting.catch(() => null))?.stop();
  };
}
