import { HttpError } from './http-error.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Tracks how deeply the JSON text fed to it nests, chunk by chunk, as the body streams in: a body nested
 * deeper than `maxDepth` is refused at the byte that crosses the limit, before the rest is read or anything
 * is parsed. Brackets inside strings do not count. It is a byte scan, not a validator: `JSON.parse` still
 * judges the text.
 */
export class JsonDepthGuard {
  readonly #maxDepth: number;
  #depth = 0;
  #inString = false;
  #escaped = false;

  constructor(maxDepth: number) {
    this.#maxDepth = maxDepth;
  }

  /** Scans `bytes`; throws a 400 `E_JSON_TOO_DEEP` {@link HttpError} when nesting passes the limit. */
  feed(bytes: Uint8Array): void {
    let depth = this.#depth;
    let inString = this.#inString;
    let escaped = this.#escaped;
    const max = this.#maxDepth;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
      } else if (b === QUOTE) inString = true;
      else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
        depth++;
        if (depth > max)
          throw new HttpError(400, 'E_JSON_TOO_DEEP', `request body nests deeper than ${max} levels`, {
            connection: 'close',
          });
      } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) depth--;
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escaped = escaped;
  }
}
