/**
 * The stores of this build: one line per store. The CLI's export, import and migrate options,
 * the URL dispatch of `migrate` and the store that restores each archive dataset all come from
 * this list (src/core/stores.ts). A new store is one folder under src/adapters/ with a
 * descriptor.ts, plus one line here.
 *
 * Descriptors are imported from their own files, not the folders' index.ts, so that building the
 * CLI's help loads no store client.
 */
import type { StoreDescriptor } from '../core/descriptor.ts';
import { falkordbDescriptor } from './falkordb/descriptor.ts';
import { postgresDescriptor } from './postgres/descriptor.ts';
import { memoryDescriptor } from './memory/descriptor.ts';
import { neo4jDescriptor } from './neo4j/descriptor.ts';
import { qdrantDescriptor } from './qdrant/descriptor.ts';
import { sqliteDescriptor } from './sqlite/descriptor.ts';
import { syntheticDescriptor } from './synthetic/descriptor.ts';

export const REGISTRY: readonly StoreDescriptor[] = [
  qdrantDescriptor,
  falkordbDescriptor,
  sqliteDescriptor,
  neo4jDescriptor,
  postgresDescriptor,
  syntheticDescriptor,
  memoryDescriptor,
];
