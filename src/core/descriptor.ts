/**
 * The store descriptor: everything the CLI needs to know about a store, declared by the store's own
 * folder (src/adapters/<store>/descriptor.ts) and listed once in src/adapters/registry.ts. The CLI's
 * export, import and migrate options, the URL dispatch of `migrate --from/--to` and the choice of
 * the sink that restores each archive dataset are all derived from these, so the CLI and the core
 * name no store, and a new store is one folder plus one registry line.
 *
 * Descriptors are plain data plus two factories. A descriptor module must stay cheap to load
 * (the CLI reads every one to build its help): the factories import the store's client lazily.
 */
import type { DatasetKind } from '../format/records.ts';
import type { IfExists, Sink, Source } from './adapter.ts';

/** The commands whose options come from the registry. */
export type StoreCommand = 'export' | 'import' | 'migrate';

/** How an option's argument is parsed and checked (by the CLI, which names the option in errors). */
export type OptionValue =
  /** Comma-separated names; repeating the option adds to the list. */
  | { type: 'list' }
  /** A whole number in decimal digits, within the range. */
  | { type: 'count'; min?: number; max?: number }
  /** One of the choices. */
  | { type: 'choice'; choices: readonly string[] }
  /** A custom parser; it throws a MemarcError('USAGE', …) naming the option on bad input. */
  | { type: 'parse'; parse: (raw: string) => unknown };

export interface StoreOption {
  /** Flags as commander spells them: `--name`, `--name <value>` (required) or `--name [value]` (optional). */
  flags: string;
  help: string;
  /** The commands that take this option. */
  commands: readonly StoreCommand[];
  /** Absent: the raw string (or `true` for an option without a value). */
  value?: OptionValue;
  default?: string | number | boolean;
}

export interface StoreEnvVar {
  name: string;
  help: string;
  /** Read only by `migrate`, for the source (`from`) or the target (`to`). */
  side?: 'from' | 'to';
  /** Read when this one is unset or empty. */
  fallback?: string;
}

/** A dataset kind of the archive that the store reads (exports) and/or writes (restores). */
export interface StoreDataset {
  /** A format-1 kind, or `<store>.<family>` for a store format 1 did not name (src/format/datasets.ts legacyKind). */
  kind: DatasetKind | `${string}.${'vectors' | 'graph' | 'table'}`;
  /** The store-neutral family of the kind: vectors, graph or table. */
  family: 'vectors' | 'graph' | 'table';
  /** What one dataset of the kind is called in this store, in plural (for help texts). */
  noun: string;
  reads: boolean;
  writes: boolean;
  /**
   * Restores datasets of its family whose native store is another (or none), through the neutral
   * schema alone (spec/FORMAT.md 4.6). Absent: only datasets of its own store are restored, and
   * the import refuses the others, naming the missing adapter.
   */
  fromOtherStores?: boolean;
}

/** What a factory gets: its own options, the environment, and for `migrate` the URL and side. */
export interface StoreRequest {
  /** The values of this store's options, keyed by optionKey(flags); absent when not given. */
  options: Readonly<Record<string, unknown>>;
  /** Where credentials and default servers are read from. Never written to. */
  env: Readonly<Record<string, string | undefined>>;
  /** `migrate` only: the URL of `--from` or `--to`, and which side it is (for MEMARC_FROM_/MEMARC_TO_ credentials). */
  endpoint?: { url: string; side: 'from' | 'to' };
  log: (msg: string) => void;
}

export interface SinkRequest extends StoreRequest {
  ifExists: IfExists;
  /** Archive dataset name → target name. */
  rename?: Record<string, string>;
}

export interface StoreDescriptor {
  /** Lower case; also the adapter's folder under src/adapters/ and the `source.type` it writes. */
  name: string;
  /** As people write it, for help texts and messages. */
  title: string;
  /** URL schemes (lower case, no colon) of its servers: `migrate --from/--to` dispatch on them. */
  schemes: readonly string[];
  env: readonly StoreEnvVar[];
  datasets: readonly StoreDataset[];
  /** The flags of the option that names this store's server or input, in export and import (e.g. `--x [url]`). */
  flag?: string;
  /** The flags of the option that selects datasets by name; `migrate` applies it to the source only. */
  selection?: string;
  options: readonly StoreOption[];
  /** A source for `export` or `migrate`, or null when the request does not name this store. */
  source?(req: StoreRequest): Promise<Source | null>;
  /** A sink for `import` or `migrate`, or null when the request does not name this store. */
  sink?(req: SinkRequest): Promise<Sink | null>;
}

/** The long flag alone: `--x [url]` → `--x`. */
export function flagName(flags: string): string {
  const long = flags.split(/[ ,|]+/).find((f) => f.startsWith('--'));
  if (!long) throw new Error(`option ${JSON.stringify(flags)} has no long flag`);
  return long;
}

/** The key an option's value has in StoreRequest.options: the long flag in camelCase, as commander names it. */
export function optionKey(flags: string): string {
  return flagName(flags).slice(2).replace(/^no-/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
