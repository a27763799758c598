import { HttpError } from './http-error.js';
import { requireScope, type Authenticate, type Principal, type Scope } from './jwt-auth.js';
import type { RateLimiter } from './rate-limiter.js';
import type { ReadJsonLimits } from './read-json.js';
import type { Tarpit } from './tarpit.js';

/**
 * Extra byte-budget charge, in multiples of its size, of a body that was read and then refused (not JSON, too
 * deep, wrong width, out of range): such bodies cost the server a parse and serve nobody, so a principal that
 * sends them gets a quarter of the parse work a well-behaved one may ask for.
 */
export const INVALID_BODY_PENALTY = 3;

/** What {@link routeAccess} needs. */
export interface RouteAccessOptions {
  readonly authenticate: Authenticate;
  /** Per-principal request and body-byte buckets (none: no limits). */
  readonly limiter: RateLimiter | undefined;
  /** Delays the 429s of principals past their limits. */
  readonly tarpit: Tarpit;
  /** The server-wide body limits. */
  readonly limits: ReadJsonLimits;
}

/** Who may call an authenticated route, and what its body may cost. */
export interface RouteAccess {
  /** Authenticates the request, charges one request to the principal (429 past its rate) and checks `scope` (403). */
  authorize(request: Request, scope: Scope): Promise<Principal>;
  /** The body limits of one route for `principal`: its byte limit, and its bytes billed to the principal's budget. */
  bodyLimits(principal: Principal, maxBytes: number): ReadJsonLimits;
}

/** The access checks every authenticated route runs before its handler, and the body limits it reads with. */
export function routeAccess({ authenticate, limiter, tarpit, limits }: RouteAccessOptions): RouteAccess {
  return {
    async authorize(request, scope) {
      const principal = await authenticate(request);
      const wait = limiter?.take(principal.id) ?? 0;
      if (wait > 0) {
        await tarpit.hold(principal.id, wait * 1000);
        throw new HttpError(429, 'E_RATE_LIMITED', `rate limit of principal "${principal.id}" reached`, {
          'retry-after': String(wait),
        });
      }
      requireScope(principal, scope);
      return principal;
    },
    bodyLimits: (principal, maxBytes) => ({
      ...limits,
      maxBytes: Math.min(limits.maxBytes, maxBytes),
      ...(limiter === undefined
        ? {}
        : {
            charge: async (bytes: number) => {
              const wait = limiter.takeBytes(principal.id, bytes);
              if (wait > 0) {
                await tarpit.hold(principal.id, wait * 1000);
                throw new HttpError(
                  429,
                  'E_RATE_LIMITED',
                  `request-body byte budget of principal "${principal.id}" spent`,
                  { 'retry-after': String(wait), connection: 'close' },
                );
              }
            },
            // A refused body was read and parsed for nothing: it costs its sender INVALID_BODY_PENALTY times its size more.
            onInvalid: (bytes: number) => limiter.penalize(principal.id, bytes * INVALID_BODY_PENALTY),
          }),
    }),
  };
}
