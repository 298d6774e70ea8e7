/**
 * The registry (src/adapters/registry.ts): every descriptor well-formed, names, schemes and flags
 * unique, and the CLI built from it offers each option once, with today's flags on each command.
 */
import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../src/adapters/registry.ts';
import { flagName, optionKey, type StoreDescriptor } from '../../src/core/descriptor.ts';
import { restorersOf } from '../../src/core/stores.ts';
import { buildProgram, type Runner } from '../../src/cli/program.ts';
import { DATASET_KINDS } from '../../src/format/records.ts';

const noRun: Runner = () => async () => {};
const longFlags = (cmd: Command) => cmd.options.map((o) => o.long!).filter(Boolean);
const sub = (p: Command, name: string) => p.commands.find((c) => c.name() === name)!;

describe('every descriptor is well-formed', () => {
  it.each(REGISTRY.map((d) => [d.name, d] as const))('%s', (_name, d: StoreDescriptor) => {
    expect(d.name).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(d.title.trim()).not.toBe('');
    for (const s of d.schemes) expect(s).toMatch(/^[a-z][a-z0-9+.-]*$/);
    for (const e of d.env) {
      expect(e.name).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(e.help.trim()).not.toBe('');
      if (e.fallback) expect(d.env.map((x) => x.name)).toContain(e.fallback);
    }
    for (const ds of d.datasets) {
      // A format-1 kind, or `<store>.<family>` for a store format 1 did not name (src/format/datasets.ts legacyKind).
      expect(Object.keys(DATASET_KINDS).includes(ds.kind) || ds.kind === `${d.name}.${ds.family}`, ds.kind).toBe(true);
      expect(['vectors', 'graph', 'table']).toContain(ds.family);
      expect(ds.reads || ds.writes).toBe(true);
    }
    // A factory only where the descriptor says the store reads (for a source) or writes (for a sink).
    expect(Boolean(d.source)).toBe(d.datasets.some((x) => x.reads));
    expect(Boolean(d.sink)).toBe(d.datasets.some((x) => x.writes));
    // A store with a server is named by its own option, and migrates by its schemes.
    if (d.schemes.length > 0) expect(d.source && d.sink && d.flag).toBeTruthy();
    const own = d.options.map((o) => o.flags);
    if (d.flag) expect(own).toContain(d.flag);
    if (d.selection) expect(own).toContain(d.selection);
    for (const o of d.options) {
      expect(o.help.trim()).not.toBe('');
      expect(o.commands.length).toBeGreaterThan(0);
      // The key a factory reads its value under is the one commander stores it under.
      expect(optionKey(o.flags)).toBe(new Option(o.flags).attributeName());
      expect(flagName(o.flags)).toBe(new Option(o.flags).long);
      if (o.value?.type === 'choice' && o.default !== undefined) expect(o.value.choices).toContain(o.default);
    }
  });

  it('names, schemes and environment variables are unique across the registry', () => {
    const unique = (xs: string[]) => expect(new Set(xs).size, xs.join(' ')).toBe(xs.length);
    unique(REGISTRY.map((d) => d.name));
    unique(REGISTRY.flatMap((d) => d.schemes));
    unique(REGISTRY.flatMap((d) => d.env.map((e) => e.name)));
  });

  it('a store flag declared by two stores is spelt, parsed and defaulted alike (a shared option)', () => {
    for (const command of ['export', 'import', 'migrate'] as const) {
      const byFlag = new Map<string, Array<{ flags: string; value: string; default: unknown }>>();
      for (const d of REGISTRY) {
        for (const o of d.options.filter((x) => x.commands.includes(command))) {
          const list = byFlag.get(flagName(o.flags)) ?? [];
          list.push({ flags: o.flags, value: JSON.stringify(o.value ?? null), default: o.default });
          byFlag.set(flagName(o.flags), list);
        }
      }
      for (const [flag, decls] of byFlag) for (const d of decls) expect(d, `${command} ${flag}`).toEqual(decls[0]);
    }
  });

  it('every dataset kind of the format has a store that exports it and one that restores it', () => {
    for (const kind of Object.keys(DATASET_KINDS)) {
      expect(REGISTRY.some((d) => d.source && d.datasets.some((x) => x.kind === kind && x.reads)), kind).toBe(true);
      expect(restorersOf(REGISTRY, kind).length, kind).toBeGreaterThan(0);
    }
  });
});

describe('the CLI built from the registry', () => {
  const program = buildProgram(REGISTRY, noRun);

  it.each([
    ['export', ['--qdrant', '--falkordb', '--synthetic', '--dim', '--collections', '--graphs', '--output', '--force', '--shard-max-bytes', '--shard-max-records', '--gzip-level', '--s3-endpoint']],
    ['import', ['--qdrant', '--falkordb', '--collections', '--graphs', '--verify', '--if-exists', '--rename', '--dry-run', '--resume', '--max-shard-bytes', '--s3-endpoint']],
    ['migrate', ['--from', '--to', '--collections', '--graphs', '--verify', '--if-exists', '--rename', '--dry-run']],
  ])('%s offers each option once, today\'s flags included', (name, expected) => {
    const flags = longFlags(sub(program, name));
    expect(new Set(flags).size, flags.join(' ')).toBe(flags.length);
    for (const f of expected) expect(flags).toContain(f);
  });

  it('a store option reaches only the commands its descriptor names', () => {
    expect(longFlags(sub(program, 'migrate'))).not.toContain('--qdrant');
    expect(longFlags(sub(program, 'migrate'))).not.toContain('--synthetic');
    expect(longFlags(sub(program, 'import'))).not.toContain('--synthetic');
    expect(longFlags(sub(program, 'export'))).not.toContain('--verify');
  });

  it('defaults and choices come from the descriptors', () => {
    const verify = sub(program, 'import').options.find((o) => o.long === '--verify')!;
    expect(verify.defaultValue).toBe('readback');
    expect(verify.argChoices).toEqual(['readback', 'count']);
    expect(sub(program, 'export').options.find((o) => o.long === '--dim')!.defaultValue).toBe(768);
  });

  it('the help names the stores of the registry it was built from, and only those', () => {
    const servers = REGISTRY.filter((d) => d.schemes.length > 0);
    for (const d of servers) expect(program.description()).toContain(d.title);
    const one = buildProgram([servers[0]!], noRun);
    expect(one.description()).toContain(servers[0]!.title);
    for (const d of servers.slice(1)) {
      expect(one.description()).not.toContain(d.title);
      expect(sub(one, 'import').description()).not.toContain(d.title);
      expect(longFlags(sub(one, 'import'))).not.toContain(flagName(d.flag!));
    }
  });

  it('two stores declaring the same flag differently cannot both be registered; alike, the option is offered once', () => {
    const base = REGISTRY.find((d) => d.options.some((o) => o.value?.type === 'list'))!;
    const listOpt = base.options.find((o) => o.value?.type === 'list')!;
    const clash: StoreDescriptor = { ...base, name: 'twin', schemes: [], flag: undefined, options: [{ ...listOpt, flags: listOpt.flags.replace(/ <[^>]+>/, ' [names]') }] };
    expect(() => buildProgram([...REGISTRY, clash], noRun)).toThrow(/declare .* differently/);
    const twin: StoreDescriptor = { ...base, name: 'twin', schemes: [], flag: undefined, options: [{ ...listOpt, help: 'the twin reads it too' }] };
    const p = buildProgram([...REGISTRY, twin], noRun);
    const cmd = p.commands.find((c) => listOpt.commands.includes(c.name() as never))!;
    const offered = cmd.options.filter((o) => o.long === flagName(listOpt.flags));
    expect(offered).toHaveLength(1);
    expect(offered[0]!.description).toContain('the twin reads it too');
  });
});
