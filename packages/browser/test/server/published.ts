/**
 * What the browser project's real server serves, shared by its global setup (Node) and the tests (browser).
 * No Node or DOM import here: both sides load this file.
 */

/** The engine's own model: feedback is checked against its width and classes. */
export const FEEDBACK_MODEL = { name: 'feedback-model', width: 8, classes: 10 } as const;

/** The Python exporters' fixtures the runtime test compares (`scripts/python/onnx_fixtures.py`). */
export const PYTHON_FIXTURES = [
  'sklearn_digits',
  'sklearn_breast_cancer',
  'torch_legacy',
  'torch_legacy_softmax',
] as const;

/** The input-shape fixtures served too (`scripts/python/onnx_shape_fixtures.py`): a CNN on `[N, 1, 8, 8]`. */
export const SHAPE_FIXTURES = ['torch_cnn_digits'] as const;

/**
 * The other registry models `GET /v1/models/{name}` serves (the handler's `published` option, fixed when it is
 * created); the tests register their versions through the `publishModel` command.
 */
export const PUBLISHED_MODELS: readonly string[] = [
  'parity',
  'cached',
  'pulled',
  'signed',
  ...[...PYTHON_FIXTURES, ...SHAPE_FIXTURES].map((name) => `fixture-${name}`),
];

/** Where the tests find the server (`inject('dissonanceServer')`). */
export interface ServerInfo {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** A bearer JWT with the `predict` and `feedback` scopes. */
  readonly token: string;
}

/** What reached the server's feedback route, and what it accepted. */
export interface FeedbackLog {
  /** Items the engine's store holds from feedback: item id → features (as stored, float32) and label. */
  readonly accepted: Record<string, { features: number[]; label: number }>;
  /** How many times each item id arrived at the route (duplicates and refused requests included). */
  readonly deliveries: Record<string, number>;
  /** Body size in bytes of every feedback request that reached the server. */
  readonly bodies: number[];
}

/** One Python fixture, registered as `fixture-{name}`, with its expected outputs. */
export interface PythonFixture {
  readonly name: string;
  readonly outputKind: string;
  readonly inputs: number[][];
  /** What Python's onnxruntime computed. */
  readonly probabilities: number[][];
  /** What onnxruntime-node computes on the same rows. */
  readonly fromNode: number[];
  readonly version: string;
}

/** One dissonance event as the tests compare it. */
export interface EventView {
  readonly ids: readonly string[];
  readonly values: number[];
  readonly detector: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The real HTTP server started by the browser project's global setup. */
    dissonanceServer: ServerInfo;
  }
}
