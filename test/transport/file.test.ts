import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { listArchives, openInput, openOutput } from '../../src/transport/index.ts';
import { isMemarcError } from '../../src/errors.ts';
import { chunked, makeArchive, sha256 } from './fixtures.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'memarc-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(location: string, data: Buffer, force = false): Promise<void> {
  const out = await openOutput(location, { force });
  await pipeline(chunked(data, 7919), out.stream);
  await out.commit();
}

describe('local file transport', () => {
  it('round-trips an archive and leaves only the final file', async () => {
    const data = await makeArchive({ createdAt: '2026-01-01T00:00:00Z', dataBytes: 2 << 20 });
    const p = path.join(dir, 'a.memarc');
    await write(p, data);
    expect(await readdir(dir)).toEqual(['a.memarc']);
    expect(sha256(await buffer(await openInput(p)))).toBe(sha256(data));
  });

  it('shows nothing at the final path before commit()', async () => {
    const p = path.join(dir, 'pending.memarc');
    const out = await openOutput(p);
    await pipeline(chunked(Buffer.alloc(100_000, 1), 1000), out.stream);
    expect(await readdir(dir)).not.toContain('pending.memarc');
    await out.commit();
    expect((await readFile(p)).length).toBe(100_000);
  });

  it('refuses to overwrite without force, at open and at commit; force replaces', async () => {
    const p = path.join(dir, 'x.memarc');
    await write(p, Buffer.from('first'));
    const early = await openOutput(p).catch((e: unknown) => e);
    expect(isMemarcError(early, 'DESTINATION_EXISTS')).toBe(true);

    // Another writer takes the name between open and commit: commit must not clobber it.
    const q = path.join(dir, 'y.memarc');
    const out = await openOutput(q);
    await pipeline(chunked(Buffer.from('mine'), 2), out.stream);
    await writeFile(q, 'theirs');
    const late = await out.commit().catch((e: unknown) => e);
    expect(isMemarcError(late, 'DESTINATION_EXISTS')).toBe(true);
    expect(await readFile(q, 'utf8')).toBe('theirs');
    expect((await readdir(dir)).filter((n) => n.endsWith('.partial'))).toEqual([]);

    await write(p, Buffer.from('second'), true);
    expect(await readFile(p, 'utf8')).toBe('second');
    expect(await readdir(dir)).toEqual(['x.memarc', 'y.memarc']);
  });

  it('abort() and a failing source remove the temporary file', async () => {
    const p = path.join(dir, 'aborted.memarc');
    const out = await openOutput(p);
    out.stream.write(Buffer.alloc(1000));
    await out.abort();
    expect(await readdir(dir)).toEqual([]);

    const out2 = await openOutput(p);
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(1000);
      throw new Error('source failed');
    }
    await expect(pipeline(failing(), out2.stream)).rejects.toThrow('source failed');
    await out2.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it('a writer killed with SIGKILL leaves no file at the final path; its leftover is swept and never listed', async () => {
    const p = path.join(dir, 'killed.memarc');
    const child = spawn(process.execPath, [path.join(HERE, 'file-writer-child.ts'), p], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exit = once(child, 'exit');
    await once(child.stdout, 'data');
    child.kill('SIGKILL');
    const [, signal] = await exit;
    expect(signal).toBe('SIGKILL');
    const names = await readdir(dir);
    expect(names).not.toContain('killed.memarc');
    expect(names.length).toBe(1);
    expect(names[0]).toMatch(/^\.killed\.memarc\..+\.partial$/);

    const listed = await listArchives(dir);
    expect(listed.archives).toEqual([]);
    expect(listed.skipped.map((s) => s.reason)).toEqual(['an unfinished write (.partial)']);

    // The next write to the same name removes the dead writer's leftover.
    await write(p, Buffer.from('fresh'));
    expect(await readdir(dir)).toEqual(['killed.memarc']);
  });

  it('reports a missing input as NOT_FOUND and a directory as IO', async () => {
    expect(isMemarcError(await openInput(path.join(dir, 'nope')).catch((e: unknown) => e), 'NOT_FOUND')).toBe(true);
    expect(isMemarcError(await openInput(dir).catch((e: unknown) => e), 'IO')).toBe(true);
  });
});

describe('standard output', () => {
  it('turns EPIPE from a reader that went away into BROKEN_PIPE (exit 141)', async () => {
    const child = spawn(process.execPath, [path.join(HERE, 'pipe-writer-child.ts')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exit = once(child, 'exit');
    // Read a little, like `| head -c`, then close the pipe.
    await once(child.stdout, 'data');
    child.stdout.destroy();
    const [code, signal] = await exit;
    expect(signal).toBeNull();
    expect(stderr).toMatch(/^BROKEN_PIPE: /);
    expect(code).toBe(141);
  });

  it('writes the whole stream when the reader stays', async () => {
    const child = spawn(process.execPath, [path.join(HERE, 'pipe-writer-child.ts')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exit = once(child, 'exit');
    const got = await buffer(child.stdout);
    const [code] = await exit;
    expect(code).toBe(0);
    expect(stderr).toBe('completed\n');
    expect(got.length).toBe(4096 * 64 * 1024);
  });
});
