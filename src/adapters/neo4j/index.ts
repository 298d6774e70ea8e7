/** Neo4j adapter: graphs as `graph` datasets of `node` and `edge` records over Bolt (README.md, "Neo4j"). */
export { neo4jSource, type Neo4jSourceOptions } from './source.ts';
export { neo4jSink, type Neo4jSinkOptions } from './sink.ts';
export { neo4jDescriptor } from './descriptor.ts';
