export { healthRoutes, type HealthRoutesOptions, type FailingPart } from './health-routes.js';
