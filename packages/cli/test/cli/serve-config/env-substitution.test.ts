import { describe, expect, it } from 'vitest';
import { substituteEnv } from '../../../src/cli/serve-config/env-substitution.js';

describe('substituteEnv', () => {
  it('replaces ${NAME} and ${NAME:-default} in string values only', () => {
    const { value, problems, substituted } = substituteEnv(
      { a: '${HOST}:${PORT:-8080}', n: 3, b: true, list: ['x-${HOST}', '${UNSET:-fallback}'], '${HOST}': 'key' },
      { HOST: 'db', PORT: '' },
    );
    expect(problems).toEqual([]);
    expect(value).toEqual({ a: 'db:8080', n: 3, b: true, list: ['x-db', 'fallback'], '${HOST}': 'key' });
    expect([...substituted].sort()).toEqual(['a', 'list.0', 'list.1']);
  });

  it('keeps $${ as a literal ${ and leaves strings without references alone', () => {
    expect(substituteEnv({ s: 'cost $${NOT_A_REF} and $5' }, {}).value).toEqual({ s: 'cost ${NOT_A_REF} and $5' });
  });

  it('lists every missing variable and malformed reference by path, naming the variable and never a value', () => {
    const { value, problems } = substituteEnv(
      { auth: { url: '${JWKS_URL}' }, keys: ['${SECRET} ${OTHER}', '${bad name}'], ok: '${SET}' },
      { SET: 's3cr3t' },
    );
    expect(problems.map((p) => p.path)).toEqual(['auth.url', 'keys.0', 'keys.0', 'keys.1']);
    expect(problems[0]!.message).toMatch(/JWKS_URL is not set/);
    expect(problems[3]!.message).toMatch(/malformed reference/);
    expect(JSON.stringify(problems)).not.toContain('s3cr3t');
    expect(value).toEqual({ auth: { url: '' }, keys: ['', ''], ok: 's3cr3t' });
  });
});
