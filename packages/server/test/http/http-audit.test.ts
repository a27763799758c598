import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigner, startTestServer, sumModel, WIDTH, CLASSES, type Signer } from './fixtures.js';

describe('admin actions over HTTP are audited with principal and before/after', () => {
  let signer: Signer;
  let ctx: Awaited<ReturnType<typeof startTestServer>>;
  let admin: string;

  beforeAll(async () => {
    signer = await createSigner();
    ctx = await startTestServer(signer);
    admin = await signer.sign({ sub: 'ops-admin', scope: 'admin' });
  });
  afterAll(async () => ctx.close());

  const call = (method: string, path: string, body?: unknown, token = admin): Promise<Response> =>
    fetch(`${ctx.server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('promote, rollback and policy changes land in the audit log', async () => {
    const second = sumModel('toy', '0', 3);
    const registered = await ctx.engine.registry.register({
      name: 'toy',
      artifact: second.artifact,
      inputWidth: WIDTH,
      classes: CLASSES,
    });
    const promoted = await call('POST', '/v1/models/toy/promote', { version: registered.version, reason: 'sharper' });
    expect(promoted.status).toBe(200);
    expect(await promoted.json()).toEqual({ name: 'toy', champion: registered.version, previous: '1' });
    expect(ctx.engine.championVersion).toBe(registered.version);

    const rolled = await call('POST', '/v1/models/toy/rollback');
    expect(rolled.status).toBe(200);
    expect(await rolled.json()).toEqual({ name: 'toy', champion: '1', previous: registered.version });
    expect(ctx.engine.championVersion).toBe('1');

    const before = (await (await call('GET', '/v1/policy')).json()) as { policy: Record<string, number> };
    const put = await call('PUT', '/v1/policy', { maxDissonance: 0.4 });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { policy: Record<string, number> }).policy['maxDissonance']).toBe(0.4);

    const refused = await call('PUT', '/v1/policy', { maxDissonance: -1 });
    expect(refused.status).toBe(400);
    const refusedBody = (await refused.json()) as { error: { code: string; message: string } };
    expect(refusedBody.error.code).toBe('E_POLICY');
    expect(refusedBody.error.message).toMatch(/^invalid policy update: maxDissonance/);
    // A `__proto__` key (an own property after JSON.parse) is refused, not dropped and audited as a no-op.
    const proto = await fetch(`${ctx.server.url}/v1/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: '{"__proto__": {"maxDissonance": 0.1}}',
    });
    expect(proto.status).toBe(400);
    expect(await proto.json()).toMatchObject({
      error: { code: 'E_POLICY', message: 'unknown policy key "__proto__"' },
    });
    const forbidden = await call(
      'PUT',
      '/v1/policy',
      { maxDissonance: 0.3 },
      await signer.sign({ sub: 'user', scope: 'predict feedback' }),
    );
    expect(forbidden.status).toBe(403);

    const { entries } = (await (await call('GET', '/v1/audit')).json()) as {
      entries: { at: number; who: string; action: string; before?: unknown; after?: unknown; reason?: string }[];
    };
    const audited = entries.filter((e) => e.who === 'ops-admin');
    for (const e of audited)
      console.log(
        `audit ${new Date(e.at).toISOString()} ${e.who} ${e.action} ${JSON.stringify(e.before)?.slice(0, 60)} → ${JSON.stringify(e.after)?.slice(0, 60)}`,
      );
    expect(audited.map((e) => e.action)).toEqual(['model.promote', 'model.rollback', 'policy.update']);
    expect(audited[0]).toMatchObject({ before: '1', after: registered.version, reason: 'sharper' });
    expect(audited[1]).toMatchObject({ before: registered.version, after: '1' });
    expect(audited[2]!.before).toEqual(before.policy);
    expect(audited[2]!.after).toEqual({ ...before.policy, maxDissonance: 0.4 });
    for (const e of audited) expect(Math.abs(e.at - Date.now())).toBeLessThan(60_000);
    expect(entries.some((e) => e.who === 'user')).toBe(false);
  });

  it('promoting an unknown version is a 404 and audits nothing', async () => {
    const count = (await ctx.engine.store.audit()).length;
    const response = await call('POST', '/v1/models/toy/promote', { version: '77' });
    expect(response.status).toBe(404);
    expect((await ctx.engine.store.audit()).length).toBe(count);
  });
});
