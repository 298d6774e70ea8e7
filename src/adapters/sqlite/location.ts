/**
 * Where a SQLite database is: `--sqlite <path>`, or for `migrate` a location `sqlite:<path>` or
 * `file:<path>` (also `sqlite://<path>`, `file://<path>`; a `file:` URI's query, such as
 * `?mode=ro`, is not taken: memarc opens the file itself, read-only to export).
 */
import { MemarcError } from '../../errors.ts';

export function sqlitePath(location: string): string {
  const m = /^(sqlite|file):(?:\/\/)?(.*)$/i.exec(location);
  const path = m ? m[2]! : location;
  if (path === '' || (m && path.includes('?'))) {
    throw new MemarcError('USAGE', `${JSON.stringify(location)} does not name a SQLite file`, { hint: 'write sqlite:PATH, e.g. sqlite:./openmemory.db or sqlite:/var/lib/app/openmemory.db' });
  }
  if (path === ':memory:') throw new MemarcError('USAGE', 'an in-memory SQLite database has nothing to export or restore into', { hint: 'name a database file' });
  return path;
}
