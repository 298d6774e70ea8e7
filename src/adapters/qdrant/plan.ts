/**
 * How a dataset is loaded into a target name: what exists there, which collection receives the
 * points, and what happens at commit. Reads only; the sink carries the plan out.
 *
 * `replace` never writes into the serving collection. It loads a versioned collection
 * `<target>-memarc-<run>` from the archive's schema, verifies it, then switches:
 * - the target is an alias: one atomic `POST /collections/aliases` (delete_alias + create_alias)
 *   points it at the new collection; the old collection is dropped afterwards if no other alias
 *   uses it. Readers never see a gap.
 * - the target is a real collection: Qdrant cannot have an alias and a collection of the same
 *   name, so the target becomes an alias of the versioned collection: the old collection is
 *   dropped only after the new one is verified, and the alias is created at once after (the one
 *   step that is not atomic: readers get 404 for the few milliseconds between the two requests;
 *   should the alias request fail, the error names the verified collection and the request to
 *   finish by hand). Every later replace of that target is then the atomic alias case.
 * Any failure before the switch leaves the original collection untouched and serving; rollback
 * drops only the versioned collection. After an alias switch the previous collection is kept
 * until every dataset of the run is published, so that a later failure can switch back.
 */
import type { JsonObject } from '../../format/records.ts';
import type { LoadMode } from './checkpoint.ts';

export type TargetState =
  | { kind: 'none' }
  | { kind: 'collection' }
  | { kind: 'alias'; collection: string };

/** What a target name is on the server right now. */
export function targetState(name: string, isCollection: boolean, aliases: Map<string, string>): TargetState {
  const via = aliases.get(name);
  if (via !== undefined) return { kind: 'alias', collection: via };
  return isCollection ? { kind: 'collection' } : { kind: 'none' };
}

/** The versioned collection name for a replace, unique per run. */
export function versionedName(target: string, runId: string, taken: (name: string) => boolean): string {
  const slug = runId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 12) || Date.now().toString(36);
  const base = `${target}-memarc-${slug}`;
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}-${i}`)) return `${base}-${i}`;
}

/** The alias actions that make `target` name `collection`, atomically when `target` is already an alias. */
export function switchActions(target: string, collection: string, state: TargetState): JsonObject[] {
  const create = { create_alias: { alias_name: target, collection_name: collection } };
  return state.kind === 'alias' ? [{ delete_alias: { alias_name: target } }, create] : [create];
}

export function describeMode(mode: LoadMode, target: string, load: string, state: TargetState): string {
  switch (mode) {
    case 'create':
      return `create collection "${target}" from the archive's schema and load it`;
    case 'append':
      return `append to the existing collection "${load}"${state.kind === 'alias' ? ` (alias "${target}")` : ''}, refusing any point id it already holds`;
    case 'merge':
      return `merge into the existing collection "${load}"${state.kind === 'alias' ? ` (alias "${target}")` : ''}: points with the same id are overwritten`;
    case 'replace':
      return state.kind === 'alias'
        ? `load the versioned collection "${load}", verify it, then switch alias "${target}" from "${state.collection}" to it atomically`
        : state.kind === 'collection'
          ? `load the versioned collection "${load}", verify it, then drop collection "${target}" and make "${target}" an alias of "${load}"`
          : `create collection "${target}" from the archive's schema and load it`;
  }
}
