/**
 * The three kinds of location an archive can live at. Parsing is the only place that decides
 * which transport a string names, so `openInput`, `openOutput`, `listArchives` and
 * `pruneArchives` agree.
 */
import { MemarcError } from '../errors.ts';

export type Location =
  | { kind: 'stdio' }
  | { kind: 'file'; path: string }
  | { kind: 's3'; bucket: string; key: string };

export function parseLocation(location: string): Location {
  if (location === '-') return { kind: 'stdio' };
  if (/^s3:\/\//i.test(location)) {
    const rest = location.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    if (!bucket) {
      throw new MemarcError('USAGE', `${location} names no bucket`, { hint: 'write an S3 location as s3://bucket/key' });
    }
    return { kind: 's3', bucket, key };
  }
  if (location === '') throw new MemarcError('USAGE', 'an empty location was given', { hint: 'give a path, - or s3://bucket/key' });
  return { kind: 'file', path: location };
}

export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
