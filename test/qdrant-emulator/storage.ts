/** All collections and aliases of one emulated node (Qdrant's "table of contents"). */
import { Collection } from './collection.ts';
import { collectionExists, collectionNotFound, formatError, QdrantHttpError } from './errors.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Storage {
  readonly collections = new Map<string, Collection>();
  /** alias name → collection name */
  aliases = new Map<string, string>();
  /** A failing upsert still writes the batch's other valid points, as a real server may (collection.ts). */
  partialWrites = true;

  /** Resolves a collection name or alias, as Qdrant does for reads and writes. */
  get(nameOrAlias: string): Collection {
    const c = this.collections.get(nameOrAlias) ?? this.collections.get(this.aliases.get(nameOrAlias) ?? '');
    if (!c) throw collectionNotFound(nameOrAlias);
    return c;
  }

  has(nameOrAlias: string): boolean {
    return this.collections.has(nameOrAlias) || this.aliases.has(nameOrAlias);
  }

  create(name: string, body: unknown): void {
    if (this.collections.has(name) || this.aliases.has(name)) throw collectionExists(name);
    this.collections.set(name, new Collection(body));
  }

  /** Returns false when there was no such collection (Qdrant answers 200 with `result: false`). */
  delete(name: string): boolean {
    if (!this.collections.delete(name)) return false;
    for (const [alias, target] of this.aliases) if (target === name) this.aliases.delete(alias);
    return true;
  }

  aliasesOf(name: string): Array<{ alias_name: string; collection_name: string }> {
    return [...this.aliases]
      .filter(([, c]) => c === name)
      .map(([alias_name, collection_name]) => ({ alias_name, collection_name }));
  }

  allAliases(): Array<{ alias_name: string; collection_name: string }> {
    return [...this.aliases].map(([alias_name, collection_name]) => ({ alias_name, collection_name }));
  }

  /** Applies alias actions in order on a copy and installs the copy only if every action succeeded. */
  changeAliases(body: unknown): void {
    if (!isObject(body) || !Array.isArray(body.actions)) throw formatError('missing field `actions`');
    const next = new Map(this.aliases);
    body.actions.forEach((action: unknown, i: number) => {
      if (!isObject(action)) throw formatError(`actions[${i}]: data did not match any variant of untagged enum AliasOperations`);
      const { create_alias: create, delete_alias: del, rename_alias: rename } = action;
      if (isObject(create) && typeof create.collection_name === 'string' && typeof create.alias_name === 'string') {
        if (!this.collections.has(create.collection_name)) throw collectionNotFound(create.collection_name);
        if (this.collections.has(create.alias_name)) throw collectionExists(create.alias_name);
        next.set(create.alias_name, create.collection_name);
      } else if (isObject(del) && typeof del.alias_name === 'string') {
        next.delete(del.alias_name);
      } else if (isObject(rename) && typeof rename.old_alias_name === 'string' && typeof rename.new_alias_name === 'string') {
        const target = next.get(rename.old_alias_name);
        if (target === undefined) throw new QdrantHttpError(404, `Not found: Alias ${rename.old_alias_name} does not exists!`);
        next.delete(rename.old_alias_name);
        next.set(rename.new_alias_name, target);
      } else {
        throw formatError(`actions[${i}]: data did not match any variant of untagged enum AliasOperations`);
      }
    });
    this.aliases = next;
  }
}
