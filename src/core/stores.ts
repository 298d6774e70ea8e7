/**
 * Dispatch through a registry of store descriptors (descriptor.ts): which sources an export
 * reads, which sinks an import writes, which store restores each archive dataset, and which store
 * a `migrate` URL names. The registry is a parameter everywhere, so a build (or a test) with fewer
 * stores behaves as one that never had them.
 */
import { MemarcError } from '../errors.ts';
import type { DatasetDescriptor, DatasetSink, Sink, Source } from './adapter.ts';
import { KIND_FAMILY, type DatasetKind, type Family } from '../format/records.ts';
import { flagName, optionKey, type SinkRequest, type StoreCommand, type StoreDescriptor } from './descriptor.ts';

export type Registry = readonly StoreDescriptor[];

/** What every factory gets besides its options. */
export interface RequestBase {
  env: Readonly<Record<string, string | undefined>>;
  log: (msg: string) => void;
}

export type TargetBase = RequestBase & Pick<SinkRequest, 'ifExists' | 'rename'>;

/** The values of one store's options for `command`, picked out of the command's parsed flags. */
export function optionsOf(store: StoreDescriptor, command: StoreCommand, flags: Readonly<Record<string, unknown>>, omit: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of store.options) {
    if (!o.commands.includes(command) || omit.includes(o.flags)) continue;
    const key = optionKey(o.flags);
    if (flags[key] !== undefined) out[key] = flags[key];
  }
  return out;
}

/** The sources that the flags of `export` name, in registry order. */
export async function sourcesFor(registry: Registry, flags: Readonly<Record<string, unknown>>, base: RequestBase): Promise<Source[]> {
  const sources: Source[] = [];
  for (const store of registry) {
    const s = await store.source?.({ ...base, options: optionsOf(store, 'export', flags) });
    if (s) sources.push(s);
  }
  return sources;
}

/** The sinks that the flags of `import` name, by store name. */
export async function sinksFor(registry: Registry, flags: Readonly<Record<string, unknown>>, base: TargetBase): Promise<Map<string, Sink>> {
  const sinks = new Map<string, Sink>();
  for (const store of registry) {
    const s = await store.sink?.({ ...base, options: optionsOf(store, 'import', flags) });
    if (s) sinks.set(store.name, s);
  }
  return sinks;
}

/** The stores of the registry that restore `kind`, in registry order. */
export function restorersOf(registry: Registry, kind: string): StoreDescriptor[] {
  return registry.filter((s) => s.sink && s.datasets.some((d) => d.kind === kind && d.writes));
}

/** The family of a descriptor, or null for a kind this build does not know (and no family given). */
function familyOf(d: Pick<DatasetDescriptor, 'family' | 'kind'>): Family | null {
  return d.family ?? KIND_FAMILY[d.kind as DatasetKind]?.family ?? null;
}

/**
 * The stores that restore a dataset: first the stores that write its kind, that is its native
 * store (a format-2 dataset's kind is derived from its native store, src/format/datasets.ts);
 * failing that, stores that write its family and declare `fromOtherStores` (a conversion through
 * the neutral schema). A family match without either is a conversion this build refuses.
 */
export function restorersFor(registry: Registry, d: Pick<DatasetDescriptor, 'family' | 'kind' | 'store'>): StoreDescriptor[] {
  const native = restorersOf(registry, d.kind);
  if (native.length > 0) return native;
  const family = familyOf(d);
  if (!family) return [];
  return registry.filter((s) => s.sink && s.datasets.some((x) => x.family === family && x.writes && x.fromOtherStores));
}

/**
 * One sink over the stores' sinks: each dataset goes to the sink of a store that writes its kind.
 * A dataset whose kind no store of the registry restores is refused (USAGE) when the sink is
 * asked for it, that is from the archive's header, before any target is touched; a dataset of a
 * known kind whose store was not named (no `--<store>` option) is skipped (null), unless a named
 * store that converts its family takes it (a converter takes another store's dataset on import
 * only when its selection option names it).
 */
export function restoreSink(registry: Registry, sinks: ReadonlyMap<string, Sink>): Sink {
  return {
    async dataset(descriptor: DatasetDescriptor): Promise<DatasetSink | null> {
      const stores = restorersFor(registry, descriptor);
      if (stores.length === 0) throw missingAdapter(registry, descriptor);
      for (const store of stores) {
        const d = await sinks.get(store.name)?.dataset(descriptor);
        if (d) return d;
      }
      // A conversion is never made unasked: without its native store, a dataset no named store takes is refused.
      if (restorersOf(registry, descriptor.kind).length === 0) throw missingAdapter(registry, descriptor);
      // Its native store is not a target of this run: a converter that is one may take it, if its
      // selection option names the dataset (the converter's sink decides; it declines otherwise).
      const family = familyOf(descriptor);
      for (const store of registry) {
        if (stores.includes(store) || !store.datasets.some((x) => x.family === family && x.writes && x.fromOtherStores)) continue;
        const d = await sinks.get(store.name)?.dataset(descriptor);
        if (d) return d;
      }
      return null;
    },
    async close() {
      for (const s of sinks.values()) await s.close().catch(() => {});
    },
  };
}

/**
 * The error for a dataset this build cannot restore. Dataset kinds of format 1 are named
 * `<store>.<object>`, so the store before the dot is the adapter that is missing.
 */
export function missingAdapter(registry: Registry, d: Pick<DatasetDescriptor, 'name' | 'kind'> & Partial<Pick<DatasetDescriptor, 'family' | 'store'>>): MemarcError {
  const store = d.store !== undefined ? d.store : /^([a-z0-9_-]+)\./.exec(d.kind)?.[1];
  const context = { dataset: d.name, kind: d.kind };
  const family = familyOf(d);
  // Stores of the same family that could hold the data, were conversion through the neutral schema allowed.
  const sameFamily = family ? registry.filter((s) => s.sink && s.datasets.some((x) => x.family === family && x.writes)).map((s) => s.name) : [];
  const converters = family ? registry.filter((s) => s.sink && s.flag && s.datasets.some((x) => x.family === family && x.writes && x.fromOtherStores)) : [];
  const hint = `memarc inspect lists the archive's datasets; restore it with a memarc build that has that adapter${converters.length > 0 ? ', or convert it: name a converting store and the dataset with that store\'s selection option (a conversion is never made unasked)' : ''}`;
  const conversion = converters.length > 0
    ? `; ${converters.map((s) => `${s.name} (${flagName(s.flag!)}${s.selection ? ` with ${flagName(s.selection)} ${d.name}` : ''})`).join(', ')} can restore it as a conversion through the neutral schema`
    : sameFamily.length > 0
      ? `; ${sameFamily.join(', ')} restore${sameFamily.length === 1 ? 's' : ''} ${family} datasets only from ${sameFamily.length === 1 ? 'its own store' : 'their own stores'}: conversion between stores is not supported yet`
      : '';
  if (store && !registry.some((s) => s.name === store)) {
    return new MemarcError('USAGE', `dataset '${d.name}' (kind ${d.kind}) needs the ${store} adapter, which is not in this build${conversion}`, { hint, context: { ...context, adapter: store } });
  }
  if (store === null && family) {
    return new MemarcError('USAGE', `dataset '${d.name}' is a ${family} dataset without a native store, and no adapter of this build restores ${family} datasets from other stores${conversion}`, { hint, context: { ...context, family } });
  }
  return new MemarcError('USAGE', `no adapter in this build restores kind '${d.kind}' (dataset '${d.name}')`, { hint, context });
}

/** The scheme of a URL (lower case), or null when the text is not `scheme://…`. */
export function schemeOf(url: string): string | null {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase() ?? null;
}

/** `http:// or https:// (A), redis:// (B)`: every scheme of the registry, for help and errors. */
export function describeSchemes(registry: Registry): string {
  return registry
    .filter((s) => s.schemes.length > 0)
    .map((s) => `${s.schemes.map((x) => `${x}://`).join(' or ')} (${s.title})`)
    .join(', ');
}

/** The store whose schemes include the URL's. */
export function storeForUrl(registry: Registry, url: string, option: string): StoreDescriptor {
  // A file store's location may be `scheme:path` without `//` (`db:./app.db`): taken only for a scheme of the registry.
  const bare = /^([a-z][a-z0-9+.-]*):(?!\/\/)/i.exec(url)?.[1]?.toLowerCase() ?? null;
  const scheme = schemeOf(url) ?? (bare !== null && registry.some((s) => s.schemes.includes(bare)) ? bare : null);
  const store = scheme === null ? undefined : registry.find((s) => s.schemes.includes(scheme));
  if (!store) {
    throw new MemarcError('USAGE', `${option} must be the URL of a server of a store this build knows: ${describeSchemes(registry)}`, {
      hint: scheme === null ? `write the URL with its scheme, e.g. ${registry.find((s) => s.schemes.length > 0)?.schemes[0] ?? 'scheme'}://${url}` : `no store in this build takes ${scheme}:// URLs`,
    });
  }
  return store;
}

export interface MigrateRequest extends TargetBase {
  from: string;
  to: string;
  /** The parsed flags of `migrate`. */
  flags: Readonly<Record<string, unknown>>;
}

/**
 * The source and the sink of a `migrate`: both sides name the same store (by URL scheme), or the
 * target restores the source's family from other stores (`fromOtherStores`: a conversion through
 * the neutral schema). The selection option (`--<names>`) picks datasets of the source only; the
 * sink restores what comes.
 */
export async function migrateEnds(registry: Registry, req: MigrateRequest): Promise<{ store: StoreDescriptor; source: Source; sink: Sink }> {
  const store = storeForUrl(registry, req.from, '--from');
  const target = storeForUrl(registry, req.to, '--to');
  // Between two stores only when the target restores a family the source reads from other stores (a conversion).
  const converts = store !== target && store.datasets.some((r) => r.reads && target.datasets.some((w) => w.family === r.family && w.writes && w.fromOtherStores));
  if (store !== target && !converts) {
    const pairs = registry.filter((s) => s.schemes.length > 0 && s.source && s.sink).map((s) => `${s.title} to ${s.title}`).join(', ');
    throw new MemarcError('USAGE', `--from names a ${store.title} server and --to a ${target.title} server: both must be the same kind of store (${pairs}), or the target must restore the source's family from other stores`);
  }
  if (!store.source || (!converts && !store.sink)) throw new MemarcError('USAGE', `this build cannot migrate ${store.title}: its adapter ${store.source ? 'restores' : 'exports'} nothing`);
  const { env, log, ifExists, rename } = req;
  const source = await store.source({ env, log, options: optionsOf(store, 'migrate', req.flags), endpoint: { url: req.from, side: 'from' } });
  if (!source) throw new Error(`the ${store.name} adapter gave no source for an explicit --from URL`);
  try {
    const omit = target.selection ? [target.selection] : [];
    if (!target.sink) throw new MemarcError('USAGE', `this build cannot migrate into ${target.title}: its adapter restores nothing`);
    const sink = await target.sink({ env, log, ifExists, ...(rename ? { rename } : {}), options: optionsOf(target, 'migrate', req.flags, omit), endpoint: { url: req.to, side: 'to' } });
    if (!sink) throw new Error(`the ${target.name} adapter gave no sink for an explicit --to URL`);
    return { store, source, sink };
  } catch (err) {
    await source.close().catch(() => {});
    throw err;
  }
}

/** `--a [url], --b [url], or --c <count>`: the options that name a store that has a source (or a sink). */
export function describeFlags(registry: Registry, has: 'source' | 'sink'): string {
  const flags = registry.filter((s) => s.flag && s[has]).map((s) => s.flag!);
  if (flags.length <= 2) return flags.join(' or ');
  return `${flags.slice(0, -1).join(', ')}, or ${flags.at(-1)}`;
}

/** `--a/--b`: the selection options of the registry. */
export function describeSelections(registry: Registry): string {
  return registry.flatMap((s) => (s.selection ? [flagName(s.selection)] : [])).join('/');
}
