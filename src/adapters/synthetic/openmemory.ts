/**
 * An OpenMemory-shaped SQLite database (the `openmemory.db` its API server keeps beside a Qdrant
 * collection), generated from a seed: users, apps, memories, categories, memory_categories,
 * memory_status_history and memory_access_logs with their foreign keys and indexes, a trigger that
 * records every change of a memory's state, and a view of the active memories. Columns are declared
 * as SQLAlchemy declares them on SQLite (ids CHAR(32) hex, BOOLEAN, DATETIME text, JSON text).
 *
 * Some values are the ones a real file holds and a typed store does not expect: JSON written by
 * Python with spaces (`{"k": 1}`, which is not the compact form), an integer above 2^53, a
 * text in an INTEGER column. The demo and the tests export and restore it exactly.
 */
import { DatabaseSync } from 'node:sqlite';
import { prng } from './index.ts';

export const OPENMEMORY_SCHEMA = `
CREATE TABLE users (
  id CHAR(32) NOT NULL PRIMARY KEY,
  user_id VARCHAR NOT NULL UNIQUE,
  name VARCHAR,
  email VARCHAR UNIQUE,
  metadata JSON,
  created_at DATETIME NOT NULL,
  updated_at DATETIME
);
CREATE TABLE apps (
  id CHAR(32) NOT NULL PRIMARY KEY,
  owner_id CHAR(32) NOT NULL REFERENCES users (id),
  name VARCHAR NOT NULL,
  description VARCHAR,
  metadata JSON,
  is_active BOOLEAN NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL,
  updated_at DATETIME,
  UNIQUE (owner_id, name)
);
CREATE TABLE categories (
  id CHAR(32) NOT NULL PRIMARY KEY,
  name VARCHAR NOT NULL UNIQUE,
  description VARCHAR,
  created_at DATETIME NOT NULL
);
CREATE TABLE memories (
  id CHAR(32) NOT NULL PRIMARY KEY,
  user_id CHAR(32) NOT NULL REFERENCES users (id),
  app_id CHAR(32) NOT NULL REFERENCES apps (id),
  content VARCHAR NOT NULL,
  metadata JSON,
  state VARCHAR(8) NOT NULL DEFAULT 'active',
  access_count INTEGER NOT NULL DEFAULT 0,
  score REAL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME,
  archived_at DATETIME,
  deleted_at DATETIME
);
CREATE INDEX idx_memory_user_state ON memories (user_id, state);
CREATE INDEX idx_memory_app_state ON memories (app_id, state);
CREATE TABLE memory_categories (
  memory_id CHAR(32) NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
  category_id CHAR(32) NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
  PRIMARY KEY (memory_id, category_id)
);
CREATE INDEX idx_memory_category ON memory_categories (category_id);
CREATE TABLE memory_status_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  memory_id CHAR(32) NOT NULL REFERENCES memories (id),
  old_state VARCHAR(8),
  new_state VARCHAR(8) NOT NULL,
  changed_at DATETIME NOT NULL
);
CREATE INDEX idx_history_memory ON memory_status_history (memory_id, changed_at);
CREATE TABLE memory_access_logs (
  id CHAR(32) NOT NULL PRIMARY KEY,
  memory_id CHAR(32) NOT NULL REFERENCES memories (id),
  app_id CHAR(32) NOT NULL REFERENCES apps (id),
  accessed_at DATETIME NOT NULL,
  access_type VARCHAR NOT NULL,
  metadata JSON
);
CREATE INDEX idx_access_memory_time ON memory_access_logs (memory_id, accessed_at);
CREATE TRIGGER memory_state_history AFTER UPDATE OF state ON memories
  WHEN old.state IS NOT new.state
  BEGIN
    INSERT INTO memory_status_history (memory_id, old_state, new_state, changed_at)
    VALUES (new.id, old.state, new.state, strftime('%Y-%m-%d %H:%M:%f', 'now'));
  END;
CREATE VIEW active_memories AS
  SELECT m.id, m.content, a.name AS app, u.user_id FROM memories m JOIN apps a ON a.id = m.app_id JOIN users u ON u.id = m.user_id
  WHERE m.state = 'active';
`;

export interface OpenMemoryOptions {
  /** Memories (default 200); the other tables scale with it. */
  memories?: number;
  seed?: number;
  /** Journal mode of the new file: 'wal' or 'delete' (default). */
  journal?: 'wal' | 'delete';
}

const CATEGORIES = ['personal', 'work', 'health', 'travel', 'food', 'finance', 'family', 'hobbies'];
const STATES = ['active', 'paused', 'archived', 'deleted'];

/** Writes a new OpenMemory-shaped database at `path` (which must not exist). Returns its row counts. */
export function createOpenMemoryDb(path: string, opts: OpenMemoryOptions = {}): Record<string, number> {
  const n = opts.memories ?? 200;
  const rnd = prng(opts.seed ?? 7);
  const hex = () => Array.from({ length: 4 }, () => Math.floor(rnd() * 2 ** 32).toString(16).padStart(8, '0')).join('');
  const when = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 3_600_000 + Math.floor(rnd() * 1000)).toISOString().replace('T', ' ').replace('Z', '000');
  const db = new DatabaseSync(path);
  try {
    if (opts.journal === 'wal') db.exec('PRAGMA journal_mode = WAL');
    db.exec(OPENMEMORY_SCHEMA);
    db.exec('BEGIN');
    const users = Array.from({ length: Math.max(1, Math.ceil(n / 100)) }, () => hex());
    const ins = (sql: string) => db.prepare(sql);
    const user = ins('INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)');
    users.forEach((id, i) => user.run(id, `user${i}`, `User ${i}`, `user${i}@example.org`, i === 0 ? '{"plan": "free"}' : null, when(i), null));
    const apps = users.flatMap((u) => ['openmemory', 'cursor', 'claude'].map((name) => ({ id: hex(), owner: u, name })));
    const app = ins('INSERT INTO apps VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    apps.forEach((a, i) => app.run(a.id, a.owner, a.name, `${a.name} client`, '{}', i % 4 === 3 ? 0 : 1, when(i), null));
    const cats = CATEGORIES.map((name) => ({ id: hex(), name }));
    const cat = ins('INSERT INTO categories VALUES (?, ?, ?, ?)');
    cats.forEach((c, i) => cat.run(c.id, c.name, null, when(i)));
    const mem = ins('INSERT INTO memories VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const mc = ins('INSERT INTO memory_categories VALUES (?, ?)');
    const log = ins('INSERT INTO memory_access_logs VALUES (?, ?, ?, ?, ?, ?)');
    const upd = ins('UPDATE memories SET state = ? WHERE id = ?');
    for (let i = 0; i < n; i++) {
      const id = hex();
      const a = apps[Math.floor(rnd() * apps.length)]!;
      // Python's json.dumps writes `{"source": "chat", "turn": 3}`: JSON, but not the compact form.
      const meta = i % 3 === 0 ? `{"source": "chat", "turn": ${i}}` : i % 3 === 1 ? `{"source":"import","turn":${i}}` : null;
      // One counter past 2^53, and one text where SQLAlchemy expected an integer.
      const count: bigint | string = i === 1 ? 9007199254740993n : i === 2 ? 'n/a' : BigInt(Math.floor(rnd() * 50));
      mem.run(id, a.owner, a.id, `memory ${i}: ${['likes tea', 'works on memarc', 'visits Zürich', 'allergic to 🥜'][i % 4]}`, meta, 'active', count, i % 5 === 0 ? null : rnd(), when(i), null, null, null);
      const picked = new Set([cats[i % cats.length]!.id, cats[Math.floor(rnd() * cats.length)]!.id]);
      for (const c of picked) mc.run(id, c);
      for (let k = 0; k < 2; k++) log.run(hex(), id, a.id, when(i + k), k === 0 ? 'search' : 'list', k === 0 ? '{"query": "tea"}' : null);
      if (i % 7 === 0) upd.run(STATES[1 + (i % 3)]!, id); // the trigger writes the history
    }
    // The trigger stamps the wall clock; the generator's files are a function of the seed alone.
    db.exec("UPDATE memory_status_history SET changed_at = '2026-06-01 00:00:00.000' || printf('%03d', id % 1000)");
    db.exec('COMMIT');
    const counts: Record<string, number> = {};
    for (const t of ['users', 'apps', 'categories', 'memories', 'memory_categories', 'memory_status_history', 'memory_access_logs']) {
      counts[t] = Number((db.prepare(`SELECT count(*) AS c FROM ${t}`).get() as { c: number }).c);
    }
    return counts;
  } finally {
    db.close();
  }
}
