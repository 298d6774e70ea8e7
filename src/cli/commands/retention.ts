import { listArchives, parseDuration, pruneArchives, type ArchiveInfo } from '../../transport/index.ts';
import type { CommandContext } from '../main.ts';
import { s3Options, type S3Flags } from '../options.ts';
import { log, out, printJson } from '../output.ts';

type DatasetName = { kind?: string; family?: string; name: string };
// Format 1 names a dataset's kind, format 2 its family.
const datasetsOf = (a: ArchiveInfo) => (a.header.datasets as DatasetName[]).map((d) => ({ kind: d.kind ?? d.family ?? '?', name: d.name }));
const state = (a: ArchiveInfo) => (a.complete ? 'complete  ' : 'INCOMPLETE');
const row = (a: ArchiveInfo) =>
  `${a.createdAt.toISOString()}  ${state(a)}  ${(a.size / 1048576).toFixed(2).padStart(10)} MiB  ${datasetsOf(a).map((d) => `${d.kind}:${d.name}`).join(',').padEnd(40)}  ${a.location}`;
const publicJson = ({ header, ...a }: ArchiveInfo) => ({ ...a, formatVersion: header.formatVersion, datasets: datasetsOf({ header } as ArchiveInfo) });

export async function ls({ g }: CommandContext, location: string, flags: S3Flags): Promise<void> {
  const r = await listArchives(location, { s3: s3Options(flags), onWarning: (m) => log(g, m) });
  if (g.json) {
    printJson({ ok: true, location, archives: r.archives.map(publicJson), skipped: r.skipped });
    return;
  }
  for (const a of r.archives) out(row(a));
  for (const a of r.archives) if (!a.complete) log(g, `${a.location} is incomplete: ${a.incompleteReason}; do not restore from it (prune --delete-incomplete removes it)`);
  if (r.archives.length === 0) log(g, `no memarc archives in ${location}`);
}

export async function prune(
  { g }: CommandContext,
  location: string,
  flags: S3Flags & { keep?: number; maxAge?: string; dryRun?: boolean; deleteIncomplete?: boolean },
): Promise<void> {
  const r = await pruneArchives(location, {
    s3: s3Options(flags),
    ...(flags.keep !== undefined ? { keep: flags.keep } : {}),
    ...(flags.maxAge !== undefined ? { maxAgeMs: parseDuration(flags.maxAge) } : {}),
    dryRun: Boolean(flags.dryRun),
    deleteIncomplete: Boolean(flags.deleteIncomplete),
    onWarning: (m) => log(g, m),
  });
  if (g.json) {
    const strip = ({ header: _h, ...a }: ArchiveInfo) => a;
    printJson({ ok: true, location, dryRun: r.dryRun, kept: r.kept.map(strip), deleted: r.deleted.map(strip), incomplete: r.incomplete.map(strip), skipped: r.skipped });
    return;
  }
  for (const a of r.deleted) out(`${r.dryRun ? 'would delete' : 'deleted'}  ${row(a)}`);
  for (const a of r.kept) out(`kept          ${row(a)}`);
  for (const a of r.incomplete) out(`incomplete    ${row(a)}`);
  if (r.incomplete.length > 0) log(g, `${r.incomplete.length} incomplete archive(s) left in place and not counted toward --keep; --delete-incomplete deletes them`);
}
