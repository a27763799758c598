import { describe, expect, it } from 'vitest';
import { runProviderTable } from '../../../../bench/inference/providers.js';
import type { ProviderRow } from '../../../../bench/inference/json-report.js';

/** `bench/inference --json`'s `providers` section holds every column of issue 18's table (CPU, tiny timings). */
describe('bench/inference provider table', () => {
  it('has one row per model × batch with raw and SDK items/s, their ratio and max |Δ| vs the CPU', async () => {
    const lines: string[] = [];
    const table = await runProviderTable(
      { provider: 'cpu', models: ['small'], batches: [1, 8], seconds: 0.01, cellLimitSeconds: 10, threads: 1 },
      (line) => lines.push(line),
    );
    expect(table).toMatchObject({
      requested: 'cpu',
      providerReason: 'cpu: requested',
      models: [{ name: 'small', shape: '64-128-10' }],
      batches: [1, 8],
    });
    expect(table.rows).toHaveLength(2);
    for (const [i, row] of table.rows.entries()) {
      expect(row).toMatchObject<Partial<ProviderRow>>({
        model: 'small',
        shape: '64-128-10',
        provider: 'cpu',
        batch: [1, 8][i]!,
        maxAbsDeltaVsCpu: 0,
      });
      expect(row.rawItemsPerSecond).toBeGreaterThan(0);
      expect(row.sdkItemsPerSecond).toBeGreaterThan(0);
      expect(row.ratio).toBeCloseTo(row.sdkItemsPerSecond! / row.rawItemsPerSecond!, 12);
      expect(row.raw?.trials).toHaveLength(3);
      expect(row.skipped).toBeUndefined();
    }
    expect(table.autoChoices).toEqual([]);
    expect(Object.keys(table.environment).sort()).toEqual([
      'LD_LIBRARY_PATH',
      'NVIDIA_TF32_OVERRIDE',
      'VK_ICD_FILENAMES',
    ]);
    expect(lines.join('\n')).toContain('small 64-128-10');
  });

  it('with auto, records the choice, its reason and load time per batch', async () => {
    const table = await runProviderTable(
      { provider: 'auto', models: ['small'], batches: [4], seconds: 0.01, cellLimitSeconds: 10, threads: 1 },
      () => undefined,
    );
    expect(table.autoChoices).toHaveLength(1);
    expect(table.autoChoices[0]).toMatchObject({ model: 'small', expectedBatch: 4 });
    expect(table.autoChoices[0]!.providerReason).toMatch(/^(cpu|cuda|webgpu): /);
    expect(table.rows[0]!.provider).toBe(table.autoChoices[0]!.provider);
  });
});
