/** Credentials sent with every request to the MLflow server. */
export type MlflowAuth =
  /** `Authorization: Bearer <token>` (Databricks-style personal access tokens, reverse proxies). */
  | { readonly token: string }
  /** `Authorization: Basic …` (MLflow's built-in basic-auth app). */
  | { readonly username: string; readonly password: string };

/** The `fetch` function the adapter calls; defaults to the global one. */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/** Connection options shared by {@link MlflowRegistry} and {@link MlflowTracking}. */
export interface MlflowClientOptions {
  /** Tracking server base URL, e.g. `http://127.0.0.1:5001` (no trailing `/api`). */
  readonly url: string;
  /** Bearer token or basic-auth credentials; default none. */
  readonly auth?: MlflowAuth;
  /**
   * PEM certificate(s) of a private CA to trust. Needs the `undici` package installed next to this one
   * (its `Agent` is passed as the fetch `dispatcher`); otherwise the first request fails with `E_CONFIG`.
   * Alternatively pass your own {@link MlflowClientOptions.fetch}.
   */
  readonly ca?: string | readonly string[];
  /** Replaces the global `fetch` (custom TLS, proxies, test doubles). */
  readonly fetch?: FetchFunction;
  /** Retries after a 429, a 5xx or a network error, with jittered exponential backoff; default 4. */
  readonly maxRetries?: number;
  /** First backoff delay in ms (doubles per retry, full jitter, capped at 5 s); default 200. */
  readonly retryBaseMs?: number;
  /** Timeout of one HTTP attempt in ms; default 30 000. */
  readonly timeoutMs?: number;
}

/** Options of {@link MlflowRegistry}. */
export interface MlflowRegistryOptions extends MlflowClientOptions {
  /** Experiment that holds the registration runs, created when missing; default `dissonance-registry`. */
  readonly experimentName?: string;
  /** Largest artifact accepted on `register` and `fetch`, in bytes (`E_INPUT` beyond); default no limit. */
  readonly maxArtifactBytes?: number;
  /** How long `register` waits for a new model version to become `READY`, in ms; default 60 000. */
  readonly readyTimeoutMs?: number;
}
