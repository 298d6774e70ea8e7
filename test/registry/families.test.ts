/**
 * Datasets of format 1 and format 2 alike: the family, native store and configuration a header
 * dataset stands for (src/format/datasets.ts, descriptorOf), the registry's choice of a store by
 * native store first and by family only where an adapter accepts conversions, and the neutral
 * schemas the Qdrant and FalkorDB sources write beside their native configuration.
 */
import { describe, expect, it } from 'vitest';
import { graphSchema } from '../../src/adapters/falkordb/neutral.ts';
import { vectorsSchema } from '../../src/adapters/qdrant/neutral.ts';
import { REGISTRY } from '../../src/adapters/registry.ts';
import type { DatasetDescriptor, DatasetSink, Sink } from '../../src/core/adapter.ts';
import type { StoreDescriptor } from '../../src/core/descriptor.ts';
import { descriptorOf } from '../../src/core/import.ts';
import { restoreSink, restorersFor } from '../../src/core/stores.ts';
import { datasetFamily, datasetLabel, datasetStore, nativeConfig } from '../../src/format/datasets.ts';
import type { HeaderDataset } from '../../src/format/header.ts';
import type { JsonObject } from '../../src/format/records.ts';

const v1: HeaderDataset = { index: 1, dir: 'data/0001-m', name: 'm', kind: 'qdrant.collection', recordKinds: ['point'], fingerprint: { params: {} }, fingerprintSha256: 'x', source: {} };
const v2: HeaderDataset = { index: 1, dir: 'data/0001-m', name: 'm', family: 'vectors', recordKinds: ['point'], schema: { vectors: [] }, schemaSha256: 'x', native: { store: 'qdrant', config: { params: {} }, configSha256: 'y' }, source: {} };
const foreign: HeaderDataset = { ...v2, native: { store: 'pgvector', config: { table: 't' }, configSha256: 'z' } };
const bare: HeaderDataset = { index: 1, dir: 'data/0001-t', name: 't', family: 'table', recordKinds: ['row'], schema: { columns: [{ name: 'id', type: 'int64', nullable: false }] }, schemaSha256: 'x', source: {} };

describe('header datasets of both versions', () => {
  it('give family, store and native configuration alike', () => {
    expect([datasetFamily(v1), datasetStore(v1), nativeConfig(v1), datasetLabel(v1)]).toEqual(['vectors', 'qdrant', { params: {} }, 'qdrant.collection']);
    expect([datasetFamily(v2), datasetStore(v2), nativeConfig(v2), datasetLabel(v2)]).toEqual(['vectors', 'qdrant', { params: {} }, 'vectors/qdrant']);
    expect([datasetFamily(bare), datasetStore(bare), nativeConfig(bare), datasetLabel(bare)]).toEqual(['table', null, {}, 'table']);
  });

  it('become descriptors whose kind and fingerprint the sinks already know, with the archive version', () => {
    expect(descriptorOf(v1, 1)).toMatchObject({ kind: 'qdrant.collection', family: 'vectors', store: 'qdrant', fingerprint: { params: {} }, schema: {}, formatMajor: 1 });
    expect(descriptorOf(v2, 2)).toMatchObject({ kind: 'qdrant.collection', family: 'vectors', store: 'qdrant', fingerprint: { params: {} }, schema: { vectors: [] }, formatMajor: 2 });
    expect(descriptorOf(foreign, 2)).toMatchObject({ kind: 'pgvector.vectors', store: 'pgvector', fingerprint: { table: 't' } });
  });
});

describe('the store that restores a dataset', () => {
  it('is its native store, for both versions', () => {
    expect(restorersFor(REGISTRY, descriptorOf(v1, 1)).map((s) => s.name)).toEqual(['qdrant']);
    expect(restorersFor(REGISTRY, descriptorOf(v2, 2)).map((s) => s.name)).toEqual(['qdrant']);
  });

  it('is none for another store of the family: the import refuses the conversion, naming the missing adapter', async () => {
    // A build whose adapters restore only their own stores.
    const ownOnly = REGISTRY.map((s) => ({ ...s, datasets: s.datasets.map((d) => ({ ...d, fromOtherStores: false })) })).filter((s) => s.name !== 'postgres');
    expect(restorersFor(ownOnly, descriptorOf(foreign, 2))).toEqual([]);
    await expect(restoreSink(ownOnly, new Map()).dataset(descriptorOf(foreign, 2))).rejects.toMatchObject({
      code: 'USAGE',
      message: "dataset 'm' (kind pgvector.vectors) needs the pgvector adapter, which is not in this build; qdrant restores vectors datasets only from its own store: conversion between stores is not supported yet",
    });
    await expect(restoreSink(ownOnly, new Map()).dataset(descriptorOf(bare, 2))).rejects.toMatchObject({ code: 'USAGE', message: /table dataset without a native store/ });
  });

  it('is a converter of this build when the native store is not in it, and only when that converter is named', async () => {
    expect(restorersFor(REGISTRY, descriptorOf(foreign, 2)).map((s) => s.name)).toEqual(['qdrant', 'postgres']);
    expect(restorersFor(REGISTRY, descriptorOf(bare, 2)).map((s) => s.name)).toEqual(['sqlite', 'postgres']);
    // No converter named as a target: refused, never skipped, and the message says how to convert.
    await expect(restoreSink(REGISTRY, new Map()).dataset(descriptorOf(foreign, 2))).rejects.toMatchObject({
      code: 'USAGE',
      message: /needs the pgvector adapter, which is not in this build; qdrant \(--qdrant with --collections m\), postgres \(--postgres with --tables m\) can restore it as a conversion through the neutral schema/,
    });
    await expect(restoreSink(REGISTRY, new Map()).dataset(descriptorOf(bare, 2))).rejects.toMatchObject({ code: 'USAGE', message: /table dataset without a native store/ });
    // A build without a table store refuses table datasets whatever is named.
    const noTables = REGISTRY.filter((s) => !s.datasets.some((x) => x.family === 'table'));
    await expect(restoreSink(noTables, new Map()).dataset(descriptorOf(bare, 2))).rejects.toMatchObject({ code: 'USAGE', message: /table dataset without a native store/ });
  });

  it('is an adapter that declares fromOtherStores, when the native store is not in the build', async () => {
    const taken: DatasetDescriptor[] = [];
    const sink: Sink = {
      async dataset(d) {
        taken.push(d);
        return {} as DatasetSink;
      },
      async close() {},
    };
    const converter: StoreDescriptor = { name: 'vecstore', title: 'VecStore', schemes: [], env: [], options: [], datasets: [{ kind: 'qdrant.collection', family: 'vectors', noun: 'sets', reads: false, writes: true, fromOtherStores: true }], sink: async () => sink };
    const registry = [...REGISTRY.filter((s) => s.name !== 'postgres').map((s) => ({ ...s, datasets: s.datasets.map((d) => ({ ...d, fromOtherStores: false })) })), converter];
    expect(restorersFor(registry, descriptorOf(foreign, 2)).map((s) => s.name)).toEqual(['vecstore']);
    // Its own store still comes first for a Qdrant dataset.
    expect(restorersFor(registry, descriptorOf(v2, 2)).map((s) => s.name)).toEqual(['qdrant', 'vecstore']);
    await restoreSink(registry, new Map([['vecstore', sink]])).dataset(descriptorOf(foreign, 2));
    expect(taken.map((d) => [d.store, d.family])).toEqual([['pgvector', 'vectors']]);
  });
});

describe('neutral schemas of the sources', () => {
  it('Qdrant: every vector with kind, dimension, distance and datatype, sorted by name; payload indexes', () => {
    const fp = {
      params: { vectors: { text: { size: 4, distance: 'Cosine', datatype: 'float16' }, colbert: { size: 2, distance: 'Dot', multivector_config: { comparator: 'max_sim' } } }, sparse_vectors: { kw: { modifier: 'idf' } } },
      payload_schema: { tag: { data_type: 'keyword' }, at: { data_type: 'datetime' } },
    };
    expect(vectorsSchema(fp)).toEqual({
      vectors: [
        { name: 'colbert', kind: 'multi', dimension: 2, distance: 'dot', datatype: 'float32' },
        { name: 'kw', kind: 'sparse', distance: 'dot', datatype: 'float32' },
        { name: 'text', kind: 'dense', dimension: 4, distance: 'cosine', datatype: 'float16' },
      ],
      payloadIndexes: [{ field: 'at', type: 'datetime' }, { field: 'tag', type: 'keyword' }],
    });
    expect(vectorsSchema({ params: { vectors: { size: 3, distance: 'Euclid' } } })).toEqual({ vectors: [{ name: '', kind: 'dense', dimension: 3, distance: 'euclid', datatype: 'float32' }], payloadIndexes: [] });
  });

  it('FalkorDB: the labels and types its indexes and constraints name, not claimed complete', () => {
    const fp: JsonObject = {
      indexes: [
        { type: 'range', entity: 'node', label: 'Person', property: 'name' },
        { type: 'vector', entity: 'node', label: 'Memory', property: 'emb', options: { dimension: 3, similarityFunction: 'euclidean', M: 16 } },
        { type: 'range', entity: 'relationship', label: 'KNOWS', property: 'since' },
      ],
      constraints: [{ type: 'unique', entity: 'node', label: 'Person', properties: ['name'] }],
    };
    expect(graphSchema(fp)).toEqual({
      labels: ['Memory', 'Person'],
      edgeTypes: ['KNOWS'],
      labelsComplete: false,
      indexes: [
        { entity: 'node', label: 'Memory', properties: ['emb'], type: 'vector', dimension: 3, similarity: 'euclid' },
        { entity: 'node', label: 'Person', properties: ['name'], type: 'range' },
        { entity: 'relationship', label: 'KNOWS', properties: ['since'], type: 'range' },
      ],
      constraints: [{ entity: 'node', label: 'Person', properties: ['name'], type: 'unique' }],
    });
  });
});
