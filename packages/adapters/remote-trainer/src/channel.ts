/**
 * How one attempt of a job reached the worker, and what came back: the result bytes, a refusal (the worker
 * answered that it cannot train the job), or no answer (unreachable, connection lost, over the timeout).
 */
export type Attempt =
  | { readonly kind: 'answer'; readonly body: Uint8Array }
  | {
      readonly kind: 'refused';
      readonly reason: string;
      /** HTTP status of the refusal (400, 422, 500…); a broker worker's refusal carries the same codes. */
      readonly status: number;
    }
  | { readonly kind: 'none'; readonly timedOut: boolean; readonly reason: string };

/** What a channel knows of a job besides its bytes. */
export interface JobHeader {
  readonly jobId: string;
  readonly model: string;
  /** Unix epoch ms after which the engine stops waiting for any attempt. */
  readonly deadlineMs: number;
}

/**
 * Where the job bytes go and the answers come from: HTTP (`http-channel.ts`) or a broker `Transport`
 * (`transport-channel.ts`). `remoteTrainer` owns the job logic (ids, retries, supersession, verification); a
 * channel only moves bytes.
 */
export interface JobChannel {
  /** What it talks to, for error messages: a URL, or `amqp:dissonance.train.jobs`. */
  readonly target: string;
  /**
   * Sends one attempt of job `job.jobId` (`body`: its Arrow IPC stream) and waits up to `timeoutMs` for its
   * answer. An answer that arrived for the job since an earlier attempt is returned at once. Rejects only when
   * `signal` aborts.
   */
  attempt(job: JobHeader, body: Uint8Array, timeoutMs: number, signal: AbortSignal): Promise<Attempt>;
  /** The job is over (answered, refused, given up, superseded): answers that still arrive for it are discarded. */
  finish(jobId: string): void;
  /** Releases what the channel holds (a result subscription); the transport itself is the caller's. */
  close(): Promise<void>;
}
