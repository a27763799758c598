import { sha256Hex } from '@dissonance/core/adapter-kit';
import { expectCode } from '@dissonance/core/testing';
import { describe, expect, it } from 'vitest';
import { ByteBudget, fetchModelBytes, Uplink, type ModelCache } from '../src/index.js';

/** A ModelCache in a Map. */
function mapCache(): ModelCache & { readonly entries: Map<string, Uint8Array> } {
  const entries = new Map<string, Uint8Array>();
  return {
    name: 'map',
    entries,
    get: async (key) => entries.get(key),
    put: async (key, bytes) => void entries.set(key, bytes.slice()),
    delete: async (key) => void entries.delete(key),
  };
}

describe('fetchModelBytes', () => {
  const bytes = new Uint8Array([8, 6, 7, 5, 3, 0, 9]);

  it('keys the cache by digest, heals a corrupted entry and refuses bytes with another digest', async () => {
    const sha256 = await sha256Hex(bytes);
    const calls: string[] = [];
    const fetch = async (url: string): Promise<Response> => {
      calls.push(url);
      return new Response(bytes.slice());
    };
    const cache = mapCache();
    expect((await fetchModelBytes('https://m/a.onnx', { sha256, cache, fetch })).fromCache).toBe(false);
    expect([...cache.entries.keys()]).toEqual([`sha256:${sha256}`]);
    const cached = await fetchModelBytes('https://m/b.onnx', { sha256, cache, fetch });
    expect([cached.fromCache, [...cached.bytes]]).toEqual([true, [...bytes]]);
    cache.entries.set(`sha256:${sha256}`, new Uint8Array([1]));
    const healed = await fetchModelBytes('https://m/a.onnx', { sha256, cache, fetch });
    expect([healed.fromCache, healed.sha256]).toEqual([false, sha256]);
    expect(calls).toEqual(['https://m/a.onnx', 'https://m/a.onnx']);
    await expectCode(fetchModelBytes('https://m/a.onnx', { sha256: 'f'.repeat(64), fetch }), 'E_ARTIFACT_DIGEST');
    await expectCode(fetchModelBytes('https://m/a.onnx', { sha256: 'nope', fetch }), 'E_INPUT');
  });

  it("checks the server's x-dissonance-sha256 header and maps HTTP failures to typed errors", async () => {
    const lying = async (): Promise<Response> =>
      new Response(bytes.slice(), { headers: { 'x-dissonance-sha256': '0'.repeat(64) } });
    await expectCode(fetchModelBytes('https://m/a.onnx', { fetch: lying }), 'E_ARTIFACT_DIGEST');
    await expectCode(
      fetchModelBytes('https://m/a.onnx', { fetch: async () => new Response('no', { status: 404 }) }),
      'E_NOT_FOUND',
    );
    await expectCode(
      fetchModelBytes('https://m/a.onnx', { fetch: async () => new Response('down', { status: 503 }) }),
      'E_REGISTRY_UNAVAILABLE',
    );
    await expectCode(
      fetchModelBytes('https://m/a.onnx', {
        fetch: async () => {
          throw new TypeError('Failed to fetch');
        },
      }),
      'E_REGISTRY_UNAVAILABLE',
    );
  });
});

describe('ByteBudget', () => {
  it('starts full, spends and refills at bytes per period', () => {
    let now = 1_000;
    const budget = new ByteBudget({ bytes: 1_000, perMs: 10_000 }, () => now);
    expect(budget.available()).toBe(1_000);
    budget.spend(900);
    expect(budget.available()).toBe(100);
    expect(budget.waitFor(600)).toBe(5_000);
    now += 5_000;
    expect(budget.available()).toBe(600);
    now += 1e9;
    expect(budget.available()).toBe(1_000);
    expect(() => new ByteBudget({ bytes: 0, perMs: 1 })).toThrow(/E_CONFIG/);
  });
});

describe('Uplink options', () => {
  it('rejects bad options with E_CONFIG before touching IndexedDB', async () => {
    await expectCode(Uplink.open({ url: 'ftp://x', token: 't' }), 'E_CONFIG');
    await expectCode(Uplink.open({ url: 'https://x', token: '' }), 'E_CONFIG');
    await expectCode(Uplink.open({ url: 'https://x', token: 't', maxBatchItems: 0 }), 'E_CONFIG');
    await expectCode(Uplink.open({ url: 'https://x', token: 't', minDissonance: -1 }), 'E_CONFIG');
    await expectCode(Uplink.open({ url: 'https://x', token: 't', byteBudget: { bytes: 10, perMs: 0 } }), 'E_CONFIG');
    // Valid options, but no IndexedDB in Node: E_STORE.
    await expectCode(Uplink.open({ url: 'https://x', token: 't' }), 'E_STORE');
  });
});
