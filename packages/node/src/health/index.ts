export { healthRoutes, type HealthRoutesOptions, type FailingPart } from './health-routes.js';
export { EngineErrors, type EngineEventSource, type StageFailure } from './engine-errors.js';
