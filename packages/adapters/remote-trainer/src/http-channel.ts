import { DissonanceError } from '@dissonance/core';
import type { Attempt, JobChannel } from './channel.js';
import { ARROW_STREAM } from './contract.js';

/** Where an HTTP worker listens (`dissonance-trainer --handler … --http PORT`). */
export interface HttpChannelOptions {
  /** The worker's base URL; jobs go to `POST {url}/jobs`. */
  readonly url: string;
  /** Extra request headers (an API key for a proxy in front of the worker). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A {@link JobChannel} that POSTs each attempt to `{url}/jobs` and reads the result from the response:
 * 200 is an answer, 502/503/504 and network failures are no answer (retried), any other status a refusal.
 * Throws `E_CONFIG` when `url` is not a URL.
 */
export function httpChannel(options: HttpChannelOptions): JobChannel {
  let endpoint: string;
  try {
    endpoint = new URL('jobs', options.url.endsWith('/') ? options.url : `${options.url}/`).href;
  } catch {
    throw new DissonanceError('E_CONFIG', `remoteTrainer: http.url ${JSON.stringify(options.url)} is not a URL`);
  }
  const headers = options.headers ?? {};
  return {
    target: endpoint,
    attempt: (_job, body, timeoutMs, signal) => postJob(endpoint, headers, body, timeoutMs, signal),
    finish: () => undefined,
    close: () => Promise.resolve(),
  };
}

async function postJob(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Attempt> {
  const attempt = new AbortController();
  const timer = setTimeout(() => attempt.abort(new Error('timeout')), timeoutMs);
  const onAbort = (): void => attempt.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': ARROW_STREAM, accept: ARROW_STREAM, ...headers },
      body: body as Uint8Array<ArrayBuffer>,
      signal: attempt.signal,
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (response.status === 502 || response.status === 503 || response.status === 504)
      return { kind: 'none', timedOut: false, reason: `HTTP ${response.status}` };
    if (response.status === 200) return { kind: 'answer', body: bytes };
    return {
      kind: 'refused',
      status: response.status,
      reason: `the worker answered HTTP ${response.status}: ${new TextDecoder().decode(bytes).slice(0, 500)}`,
    };
  } catch (error) {
    if (signal.aborted) throw error;
    const timedOut = attempt.signal.aborted;
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return {
      kind: 'none',
      timedOut,
      reason: timedOut
        ? `no answer in ${timeoutMs} ms`
        : `${error instanceof Error ? error.message : String(error)}${cause}`,
    };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
