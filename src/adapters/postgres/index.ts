/** The Postgres adapter: export tables (or a pgvector table as vectors), restore them exactly, migrate. */
export { postgresSource, type PostgresSourceOptions } from './source.ts';
export { postgresSink, type PostgresSinkOptions } from './sink.ts';
export { endpointOf, type PgEndpoint } from './connect.ts';
export { postgresDescriptor } from './descriptor.ts';
