/** SQLite adapter: the tables of a database file as `table` datasets of `row` records (README.md, spec/FORMAT.md 15.5). */
export { sqliteSource, type SqliteSourceOptions, type SnapshotMode } from './source.ts';
export { sqliteSink, type SqliteSinkOptions } from './sink.ts';
export { sqliteDescriptor } from './descriptor.ts';
export { sqlitePath } from './location.ts';
