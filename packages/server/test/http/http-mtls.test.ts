import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigner, startTestServer, type Signer } from './fixtures.js';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl in `dir`. */
function makeCertificates(
  dir: string,
): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey' | 'otherCert' | 'otherKey', Buffer> {
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
  );
  const leaf = (name: string, ca: string, ext: string): void => {
    ssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      ext,
    );
  };
  execFileSync(
    'sh',
    [
      '-c',
      'printf "subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n" > server.ext; printf "extendedKeyUsage=clientAuth\\n" > client.ext',
    ],
    { cwd: dir },
  );
  leaf('server', 'ca', 'server.ext');
  leaf('client', 'ca', 'client.ext');
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'other.key',
    '-out',
    'other.pem',
    '-days',
    '1',
    '-subj',
    '/CN=other',
  );
  const read = (file: string): Buffer => readFileSync(join(dir, file));
  return {
    ca: read('ca.pem'),
    serverCert: read('server.pem'),
    serverKey: read('server.key'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
    otherCert: read('other.pem'),
    otherKey: read('other.key'),
  };
}

describe('TLS and mutual TLS', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let signer: Signer;
  let ctx: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dissonance-mtls-'));
    certs = makeCertificates(dir);
    signer = await createSigner();
    ctx = await startTestServer(signer, {
      tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, requireClientCert: true },
    });
  }, 60_000);
  afterAll(async () => {
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, client: { cert?: Buffer; key?: Buffer }): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(`${ctx.server.url}${path}`, { ca: certs.ca, ...client }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('serves https on the URL it reports', () => {
    expect(ctx.server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('a client without a certificate is refused during the handshake', async () => {
    await expect(get('/healthz', {})).rejects.toThrow();
  });

  it('a client with a certificate from another CA is refused', async () => {
    await expect(get('/healthz', { cert: certs.otherCert, key: certs.otherKey })).rejects.toThrow();
  });

  it('a client with a certificate signed by the CA passes', async () => {
    const response = await get('/healthz', { cert: certs.clientCert, key: certs.clientKey });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'ok' });
  });

  it('mTLS does not replace the bearer token: predict still needs one', async () => {
    const response = await get('/v1/models/toy', { cert: certs.clientCert, key: certs.clientKey });
    expect(response.status).toBe(401);
  });
});
