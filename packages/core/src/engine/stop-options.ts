/**
 * What `engine.stop()` does with work still in flight. Each field is implemented by the part of the loop it
 * names; unset fields take the documented defaults.
 */
export interface StopOptions {
  /**
   * A challenger still in its canary when `stop()` is called:
   * - `'settle'` (default): judge it now on the evidence so far (golden validation already passed; the canary's
   *   samples so far), promoting or rolling back before `stop()` resolves, so a short run ends on a decision;
   * - `'leave'`: leave it as `challenger` in the registry (a new engine on the same registry, with a runtime that
   *   loads its format, resumes the canary: a fresh one, its evidence so far is not kept).
   */
  readonly canary?: 'settle' | 'leave';
  /**
   * A retrain (fit) running when `stop()` is called:
   * - `'wait'` (default): wait for it and for its validation;
   * - `'abandon'`: cancel the fit (a threaded or remote fit is terminated); no candidate is registered, and
   *   nothing is lost from the replay buffer.
   */
  readonly retrain?: 'wait' | 'abandon';
}
