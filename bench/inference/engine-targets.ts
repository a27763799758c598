/** The `engine.process` target of the inference bench: at least 0.90 of the raw two-model rate at batch 64 and 1,024. */

/** The batch sizes the target names. */
export const ENGINE_TARGET_BATCHES: readonly number[] = [64, 1024];

/** The target's verdict from the bench's per-batch rows (`ratioEngine` = engine.process / raw, same run). */
export function engineProcessTargets(rows: readonly { readonly batch: number; readonly ratioEngine: number }[]): {
  readonly engineProcessAtLeast090AtBatch64And1024: boolean;
  readonly engineProcessRatios: Readonly<Record<string, number>>;
} {
  const named = rows.filter((r) => ENGINE_TARGET_BATCHES.includes(r.batch));
  return {
    engineProcessAtLeast090AtBatch64And1024: named.length > 0 && named.every((r) => r.ratioEngine >= 0.9),
    engineProcessRatios: Object.fromEntries(named.map((r) => [String(r.batch), r.ratioEngine])),
  };
}

/** The target's console line. */
export function engineProcessTargetLine(targets: ReturnType<typeof engineProcessTargets>): string {
  const ratios = Object.entries(targets.engineProcessRatios).map(
    ([batch, ratio]) => `${ratio.toFixed(3)} at batch ${batch}`,
  );
  const verdict =
    ratios.length === 0
      ? 'not measured (add 64 and 1024 to --batches)'
      : targets.engineProcessAtLeast090AtBatch64And1024
        ? 'met'
        : 'NOT met';
  return `target engine.process/raw ≥ 0.90 at batch 64 and 1,024: ${verdict}${ratios.length === 0 ? '' : ` (${ratios.join(', ')})`}`;
}
