/** An export into memory: the archive's bytes, with the header and trailer the writer reports. */
import { Writable } from 'node:stream';
import { exportArchive, type ExportOptions, type ExportResult } from '../../src/core/export.ts';

export async function exportToBuffer(opts: Omit<ExportOptions, 'output'>): Promise<ExportResult & { bytes: Buffer }> {
  const chunks: Buffer[] = [];
  const output = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  const result = await exportArchive({ ...opts, output });
  return { ...result, bytes: Buffer.concat(chunks) };
}
