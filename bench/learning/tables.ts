import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Evaluation, EvaluationStrategy } from '../../packages/cli/src/demo/evaluation.js';
import type { SuiteSet } from './suite.js';

type Sklearn = Readonly<Record<string, readonly number[]>>;

const pts = (v: number, digits = 2): string => (v * 100).toFixed(digits);
const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${pts(Math.abs(v))}`;

function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const sd = values.length < 2 ? 0 : Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
  return { mean, sd };
}

/** Paired per-seed difference a − b: mean, sd, and whether it exceeds two standard errors. */
function paired(a: readonly number[], b: readonly number[]): { mean: number; sd: number; significant: boolean } {
  const d = meanSd(a.map((v, i) => v - b[i]!));
  return { ...d, significant: Math.abs(d.mean) > (2 * d.sd) / Math.sqrt(a.length) && d.sd > 0 };
}

const BASELINES = ['random', 'uncertainty', 'margin'];

/** What the targets of issue 16 ask of one set's results, and the figures they are read from. */
export interface SetVerdict {
  readonly name: string;
  readonly defaultFinal: number;
  readonly bestBaseline: { readonly name: string; readonly final: number };
  /** The reference's best strategy on the SDK's splits, and the paired per-seed difference default − it. */
  readonly bestSklearn?: { readonly name: string; readonly final: number; readonly diff: { mean: number; sd: number } };
  /** The reference's best strategy on its own splits (unpaired). */
  readonly bestSklearnOwn?: { readonly name: string; readonly final: number };
  readonly vsRandom: number;
  readonly savings: number | null;
}

/** One markdown table per set, then the targets over the suite. */
export function suiteTables(sets: readonly SuiteSet[], dir: string): string {
  const parts: string[] = [];
  const verdicts: SetVerdict[] = [];
  for (const set of sets) {
    const ev = JSON.parse(readFileSync(join(dir, `sdk-${set.name}.json`), 'utf8')) as Evaluation;
    const skPath = join(dir, `sklearn-${set.name}.json`);
    const skText = existsSync(skPath) ? readFileSync(skPath, 'utf8').trim() : '';
    const sk = skText === '' ? undefined : (JSON.parse(skText) as Sklearn); // absent or still running: no reference rows
    const ownPath = join(dir, `sklearn-own-${set.name}.json`);
    const ownText = existsSync(ownPath) ? readFileSync(ownPath, 'utf8').trim() : '';
    const own = ownText === '' ? undefined : (JSON.parse(ownText) as Sklearn);
    const byName = new Map(ev.strategies.map((s) => [s.name, s]));
    const baselines = BASELINES.map((n) => byName.get(n)).filter((s): s is EvaluationStrategy => s !== undefined);
    const best = baselines.reduce((a, b) => (b.final.mean > a.final.mean ? b : a));
    const def = byName.get('default')!;
    const p = ev.protocol;
    parts.push(
      `#### ${set.name} — ${set.what}`,
      '',
      `Per seed: golden ${p.golden}, seed set ${p.seedSet}, stream ${p.stream} in batches of ${p.batch}, budget ${p.budgetLabels} labels; seeds ${p.seeds[0]}–${p.seeds.at(-1)}; ${ev.seconds.toFixed(0)} s.`,
      '',
      '| strategy | final golden accuracy (%) | vs random (paired, pts) | vs best baseline (paired, pts) | label savings vs random | labels |',
      '|---|---|---|---|---|---|',
    );
    for (const s of ev.strategies) {
      const vr = s.name === 'random' ? undefined : paired(s.finals, byName.get('random')!.finals);
      const vb = s.name === best.name ? undefined : paired(s.finals, best.finals);
      const cell = (v: ReturnType<typeof paired> | undefined): string =>
        v === undefined ? '—' : `${signed(v.mean)} ± ${pts(v.sd)}${v.significant ? (v.mean > 0 ? ' ▲' : ' ▼') : ''}`;
      const name = s.name === 'default' ? '**default**' : s.name === best.name ? `${s.name} (best baseline)` : s.name;
      parts.push(
        `| ${name} | ${pts(s.final.mean)} ± ${pts(s.final.sd)} | ${cell(vr)} | ${cell(vb)} | ${s.savings === null ? 'not reached' : `${(s.savings * 100).toFixed(0)} %`} | ${s.labels.toFixed(0)} |`,
      );
    }
    let bestSklearn: SetVerdict['bestSklearn'];
    if (sk !== undefined) {
      for (const [name, finals] of Object.entries(sk)) {
        const m = meanSd(finals);
        if (bestSklearn === undefined || m.mean > bestSklearn.final)
          bestSklearn = { name, final: m.mean, diff: paired(def.finals, finals) };
        const v = name === 'random' ? undefined : paired(finals, sk['random']!);
        const vsSkRandom =
          v === undefined ? '—' : `${signed(v.mean)} ± ${pts(v.sd)}${v.significant ? (v.mean > 0 ? ' ▲' : ' ▼') : ''}`;
        const vsDefault = paired(def.finals, finals);
        parts.push(
          `| scikit-learn ${name} | ${pts(m.mean)} ± ${pts(m.sd)} | ${vsSkRandom} (vs its random) | default − it: ${signed(vsDefault.mean)} ± ${pts(vsDefault.sd)}${vsDefault.significant ? (vsDefault.mean > 0 ? ' ▲' : ' ▼') : ''} | | ${p.budgetLabels} |`,
        );
      }
    }
    let bestSklearnOwn: SetVerdict['bestSklearnOwn'];
    for (const [name, finals] of Object.entries(own ?? {})) {
      const m = meanSd(finals).mean;
      if (bestSklearnOwn === undefined || m > bestSklearnOwn.final) bestSklearnOwn = { name, final: m };
    }
    parts.push('');
    verdicts.push({
      name: set.name,
      defaultFinal: def.final.mean,
      bestBaseline: { name: best.name, final: best.final.mean },
      ...(bestSklearn === undefined ? {} : { bestSklearn }),
      ...(bestSklearnOwn === undefined ? {} : { bestSklearnOwn }),
      vsRandom: def.vsRandom?.mean ?? 0,
      savings: def.savings,
    });
  }
  parts.push(targetsTable(verdicts));
  return parts.join('\n') + '\n';
}

/**
 * The targets: per set, default ≥ best baseline − 0.5 and ≥ best scikit-learn − 1.0 (on the same splits, paired;
 * the reference on its own splits is shown beside it); over the suite, +1.5 and 25 %.
 */
export function targetsTable(verdicts: readonly SetVerdict[]): string {
  const ok = (b: boolean): string => (b ? 'met' : '**missed**');
  const lines = [
    '#### Targets',
    '',
    '| set | default − best of {random, uncertainty, margin} (≥ −0.5) | default − best scikit-learn, same splits (paired; ≥ −1.0) | default − best scikit-learn, its own splits (unpaired; ≥ −1.0) | default − random | savings |',
    '|---|---|---|---|---|---|',
  ];
  for (const v of verdicts) {
    const b = v.defaultFinal - v.bestBaseline.final;
    const s = v.bestSklearn === undefined ? undefined : v.defaultFinal - v.bestSklearn.final;
    const o = v.bestSklearnOwn === undefined ? undefined : v.defaultFinal - v.bestSklearnOwn.final;
    const sd = v.bestSklearn === undefined ? '' : ` ± ${pts(v.bestSklearn.diff.sd)}`;
    lines.push(
      `| ${v.name} | ${signed(b)} vs ${v.bestBaseline.name}: ${ok(b >= -0.005 - 1e-12)} | ${s === undefined ? 'not run' : `${signed(s)}${sd} vs ${v.bestSklearn!.name}: ${ok(s >= -0.01 - 1e-12)}`} | ${o === undefined ? 'not run' : `${signed(o)} vs ${v.bestSklearnOwn!.name}: ${ok(o >= -0.01 - 1e-12)}`} | ${signed(v.vsRandom)} | ${v.savings === null ? 'not reached' : `${(v.savings * 100).toFixed(0)} %`} |`,
    );
  }
  const meanVsRandom = verdicts.reduce((a, v) => a + v.vsRandom, 0) / verdicts.length;
  const meanSavings = verdicts.reduce((a, v) => a + (v.savings ?? 0), 0) / verdicts.length;
  lines.push(
    '',
    `Over the suite: default − random ${signed(meanVsRandom)} points (target ≥ +1.50: ${ok(meanVsRandom >= 0.015)}); label savings against random ${(meanSavings * 100).toFixed(0)} % (target ≥ 25 %, "not reached" counted as 0: ${ok(meanSavings >= 0.25)}).`,
  );
  return lines.join('\n') + '\n';
}
