/** Structured fields of one log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The minimal structured logger core writes to: pino's `(fields, message)` call shape, so a pino logger
 * (or any console wrapper) fits as is. Core logs rarely — errors, retrain decisions, promotions and
 * rollbacks — never per item.
 */
export interface Logger {
  debug(fields: LogFields, message?: string): void;
  info(fields: LogFields, message?: string): void;
  warn(fields: LogFields, message?: string): void;
  error(fields: LogFields, message?: string): void;
}

const ignore = (): void => undefined;

/** The default logger: drops everything. */
export const silentLogger: Logger = Object.freeze({ debug: ignore, info: ignore, warn: ignore, error: ignore });
