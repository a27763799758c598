import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  DissonanceError,
  ENGINE_DEFAULTS,
  MemoryRegistry,
  MemoryStore,
  resolveEngineConfig,
  systemClock,
} from '../../src/index.js';
import { GOOD_WEIGHTS, linearModel, WEAK_WEIGHTS } from './fixtures.js';

const base = () => ({ proposer: linearModel('p', WEAK_WEIGHTS), critics: [linearModel('c', GOOD_WEIGHTS)] });

describe('ENGINE_DEFAULTS and resolveEngineConfig', () => {
  it('ENGINE_DEFAULTS is frozen all the way down', () => {
    expect(Object.isFrozen(ENGINE_DEFAULTS)).toBe(true);
    for (const inner of [
      ENGINE_DEFAULTS.retrain,
      ENGINE_DEFAULTS.rollout,
      ENGINE_DEFAULTS.policy,
      ENGINE_DEFAULTS.feedback,
    ])
      expect(Object.isFrozen(inner)).toBe(true);
    expect(() => {
      (ENGINE_DEFAULTS.retrain as { everyExamples: number }).everyExamples = 1;
    }).toThrow(TypeError);
  });

  it('a config that sets nothing optional resolves to exactly the defaults', () => {
    const resolved = resolveEngineConfig(base());
    expect(resolved.retrain).toEqual(ENGINE_DEFAULTS.retrain);
    expect(resolved.rollout).toEqual(ENGINE_DEFAULTS.rollout);
    expect(resolved.policy).toEqual(DEFAULT_POLICY);
    expect(resolved.policy).toEqual(ENGINE_DEFAULTS.policy);
    expect(resolved.maxBatchRows).toBe(ENGINE_DEFAULTS.maxBatchRows);
    expect(resolved.concurrency).toBe(ENGINE_DEFAULTS.concurrency);
    expect(resolved.maxQueue).toBe(ENGINE_DEFAULTS.maxQueue);
    expect(resolved.overload).toBe(ENGINE_DEFAULTS.overload);
    expect(resolved.championRefreshMs).toBeUndefined();
    expect(resolved.modelName).toBe('p');
    expect(resolved.registry).toBeInstanceOf(MemoryRegistry);
    expect(resolved.store).toBeInstanceOf(MemoryStore);
    expect(resolved.clock).toBe(systemClock);
    expect(resolved.labels).toEqual([]);
    expect(resolved.detector.name).toBe('total-variation');
    expect(resolved.reference.rows).toBe(0);
  });

  it('what a config sets wins, field by field; the rest stays default', () => {
    const resolved = resolveEngineConfig({
      ...base(),
      modelName: 'm',
      retrain: { everyExamples: 7, mode: 'inline' },
      rollout: { canaryFraction: 0 },
      policy: { dTarget: 0.3 },
      maxQueue: 3,
    });
    expect(resolved.retrain).toEqual({ ...ENGINE_DEFAULTS.retrain, everyExamples: 7, mode: 'inline' });
    expect(resolved.rollout).toEqual({ ...ENGINE_DEFAULTS.rollout, canaryFraction: 0 });
    expect(resolved.policy).toEqual({ ...DEFAULT_POLICY, dTarget: 0.3 });
    expect(resolved.maxQueue).toBe(3);
    expect(resolved.modelName).toBe('m');
  });

  it('an invalid config is E_CONFIG naming the problem', () => {
    expect(() => resolveEngineConfig({ ...base(), retrain: { everyExamples: -1 } })).toThrow(DissonanceError);
    expect(() => resolveEngineConfig({ ...base(), ...({ bogus: 1 } as object) })).toThrow(/unknown key\(s\) "bogus"/);
  });

  it('the config docs hold no default values of their own: they point at ENGINE_DEFAULTS', () => {
    const source = readFileSync(new URL('../../src/engine/config.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/\(default \d/);
    expect(source).not.toMatch(/default \d[\d,.]*[;)]/);
    expect(source).not.toContain('ENGINE_CONFIG_KEYS');
    for (const key of Object.keys(ENGINE_DEFAULTS.retrain)) expect(source).toContain(`ENGINE_DEFAULTS.retrain.${key}`);
    for (const key of Object.keys(ENGINE_DEFAULTS.rollout)) expect(source).toContain(`ENGINE_DEFAULTS.rollout.${key}`);
  });
});

describe('the README table of engine defaults', () => {
  it('lists every value of ENGINE_DEFAULTS (policy aside) as it is', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Engine defaults'), readme.indexOf('## Error codes'));
    const table = new Map([...section.matchAll(/^\| `([\w.]+)` \| (.+) \|$/gm)].map((m) => [m[1]!, m[2]!.trim()]));
    const expected = new Map<string, string>();
    const walk = (prefix: string, value: object): void => {
      for (const [key, inner] of Object.entries(value)) {
        const path = prefix === '' ? key : `${prefix}.${key}`;
        if (path === 'policy') continue;
        if (typeof inner === 'object' && inner !== null) walk(path, inner as object);
        else
          expected.set(path, inner === undefined ? 'off' : typeof inner === 'string' ? `\`${inner}\`` : String(inner));
      }
    };
    walk('', ENGINE_DEFAULTS);
    expect(Object.fromEntries(table)).toEqual(Object.fromEntries(expected));
  });
});
