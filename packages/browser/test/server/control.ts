/**
 * The bridge between the browser project's global setup and its browser commands. Vitest loads the two
 * apart (the setup through its module runner, the commands with the config file), so they share the
 * running server through one process-wide symbol, not a module variable. No runtime import here: the
 * config file bundles this file.
 */
import type { EventView, FeedbackLog, PythonFixture } from './published.js';

/** The Node-side operations the browser commands call. */
export interface ServerControl {
  /** The server's base URL. */
  readonly url: string;
  /** Registers `bytes` as a new version of `name` and makes it the champion. */
  publish(name: string, bytes: number[], tags?: Record<string, string>): Promise<{ version: string; sha256: string }>;
  /** What the feedback route received and what the engine's store accepted from it. */
  feedbackLog(): Promise<FeedbackLog>;
  /** The next `count` feedback requests are processed, then their connection is dropped unanswered. */
  dropFeedbackAnswers(count: number): void;
  /** The probabilities onnxruntime-node computes for a model on `rows` rows of `x`. */
  onnxNode(bytes: number[], x: number[], rows: number): Promise<number[]>;
  /** The dissonance events an engine in Node (onnxruntime-node) emits on `batches`. */
  nodeEngineEvents(
    proposer: number[],
    critic: number[],
    batches: Array<{ x: number[]; rows: number; ids: string[] }>,
  ): Promise<EventView[]>;
  /** Writes the Python exporters' fixtures (.venv), registers each as `fixture-{name}`, returns their data. */
  pythonFixtures(): Promise<PythonFixture[]>;
}

const CONTROL = Symbol.for('dissonance.browser-tests.server');

/** The running server's control (set by the global setup, in the vitest process). */
export function serverControl(): ServerControl {
  const control = (globalThis as { [CONTROL]?: ServerControl })[CONTROL];
  if (control === undefined) throw new Error("the browser project's global setup has not started the server");
  return control;
}

/** Sets (or, with `undefined`, clears) the running server's control. */
export function setServerControl(control: ServerControl | undefined): void {
  if (control === undefined) delete (globalThis as { [CONTROL]?: ServerControl })[CONTROL];
  else (globalThis as { [CONTROL]?: ServerControl })[CONTROL] = control;
}
