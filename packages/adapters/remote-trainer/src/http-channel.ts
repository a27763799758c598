import { DissonanceError } from '@dissonance/core';
import type { Attempt, JobChannel } from './channel.js';
import { ARROW_STREAM } from './contract.js';

/** Where an HTTP worker listens (`dissonance-trainer --handler … --http PORT`). */
export interface HttpChannelOptions {
  /** The worker's base URL; jobs go to `POST {url}/jobs`. */
  readonly url: string;
  /** Extra request headers (an API key for a proxy in front of the worker). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * How the result comes back. `poll` (default): the job is posted with `Prefer: respond-async`, the worker
   * answers 202 at once and the result is fetched by `GET {url}/jobs/{jobId}` until it is ready — no request
   * stays open for the whole fit, so proxies' idle timeouts and fetch's 300 s header timeout do not cut long
   * fits. `wait`: the POST's response carries the result (one request per attempt; fits under a few minutes).
   * A worker that ignores `Prefer` and answers 200 is read as `wait`.
   */
  readonly mode?: 'poll' | 'wait';
  /** Longest wait between two polls, in ms (default 2000); polls start at 100 ms and double up to it. */
  readonly pollIntervalMs?: number;
}

/**
 * A {@link JobChannel} that POSTs each attempt to `{url}/jobs` and reads the result from the response
 * (`mode: 'wait'`) or, by default, from `GET {url}/jobs/{jobId}` polled until the worker has it (`mode:
 * 'poll'`): 200 is an answer; 502/503/504, a 404 while polling (the worker restarted and lost the job) and
 * network failures are no answer (retried: the retry posts the same job id again); any other status a refusal.
 * Throws `E_CONFIG` when `url` is not a URL or `pollIntervalMs` is not positive.
 */
export function httpChannel(options: HttpChannelOptions): JobChannel {
  let endpoint: string;
  try {
    endpoint = new URL('jobs', options.url.endsWith('/') ? options.url : `${options.url}/`).href;
  } catch {
    throw new DissonanceError('E_CONFIG', `remoteTrainer: http.url ${JSON.stringify(options.url)} is not a URL`);
  }
  const headers = options.headers ?? {};
  const maxInterval = options.pollIntervalMs ?? 2000;
  if (!(maxInterval > 0))
    throw new DissonanceError('E_CONFIG', `remoteTrainer: http.pollIntervalMs (${maxInterval}) must be > 0`);
  const poll = (options.mode ?? 'poll') === 'poll';
  return {
    target: endpoint,
    attempt: async (job, body, timeoutMs, signal) => {
      const deadline = Date.now() + timeoutMs;
      const posted = await request(endpoint, 'POST', headers, body, timeoutMs, signal, poll);
      if (!poll || posted.kind !== 'accepted') return settle(posted);
      const location = `${endpoint}/${encodeURIComponent(job.jobId)}`;
      for (let wait = 100; ; wait = Math.min(wait * 2, maxInterval)) {
        const left = deadline - Date.now();
        if (left <= 0) return { kind: 'none', timedOut: true, reason: `no answer in ${timeoutMs} ms` };
        await sleep(Math.min(wait, left), signal);
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
        const polled = await request(location, 'GET', headers, undefined, Math.max(1, deadline - Date.now()), signal);
        if (polled.kind === 'accepted') continue;
        if (polled.kind === 'response' && polled.status === 404)
          return { kind: 'none', timedOut: false, reason: `the worker no longer knows job ${job.jobId} (restarted?)` };
        return settle(polled);
      }
    },
    finish: () => undefined,
    close: () => Promise.resolve(),
  };
}

/** What one request gave: a response, a 202 (the job runs: poll), or no response. */
type Reply =
  | { readonly kind: 'response'; readonly status: number; readonly bytes: Uint8Array }
  | { readonly kind: 'accepted' }
  | { readonly kind: 'none'; readonly timedOut: boolean; readonly reason: string };

/** The attempt a final reply makes: 200 an answer, 502/503/504 no answer, any other status a refusal. */
function settle(reply: Reply): Attempt {
  if (reply.kind === 'none') return reply;
  if (reply.kind === 'accepted')
    return { kind: 'refused', status: 202, reason: 'the worker answered 202 to a request that waits for the result' };
  const { status, bytes } = reply;
  if (status === 502 || status === 503 || status === 504)
    return { kind: 'none', timedOut: false, reason: `HTTP ${status}` };
  if (status === 200) return { kind: 'answer', body: bytes };
  return {
    kind: 'refused',
    status,
    reason: `the worker answered HTTP ${status}: ${new TextDecoder().decode(bytes).slice(0, 500)}`,
  };
}

async function request(
  url: string,
  method: 'POST' | 'GET',
  headers: Readonly<Record<string, string>>,
  body: Uint8Array | undefined,
  timeoutMs: number,
  signal: AbortSignal,
  async = false,
): Promise<Reply> {
  const attempt = new AbortController();
  const timer = setTimeout(() => attempt.abort(new Error('timeout')), timeoutMs);
  const onAbort = (): void => attempt.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await fetch(url, {
      method,
      headers: {
        accept: ARROW_STREAM,
        ...(body === undefined ? {} : { 'content-type': ARROW_STREAM }),
        ...(async ? { prefer: 'respond-async' } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: body as Uint8Array<ArrayBuffer> }),
      signal: attempt.signal,
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (response.status === 202) return { kind: 'accepted' };
    return { kind: 'response', status: response.status, bytes };
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

/** Resolves after `ms`, or at once when `signal` aborts (the caller's next request then throws). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
