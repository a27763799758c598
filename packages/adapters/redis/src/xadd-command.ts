import type { Envelope } from '@dissonance/core';
import { DEFAULT_WIRE_FORMAT, encodeWireFrame, type FrameRoom, type WireFormat } from '@dissonance/core/adapter-kit';
import { Command } from 'ioredis';

/** Bytes of `$<length>\r\n` for a length of up to 10 digits, the most a frame's length needs. */
const LENGTH_LINE_MAX = 13;
const CRLF = '\r\n';

/**
 * A command whose RESP bytes were written ahead of time: ioredis writes them as they are instead of
 * concatenating its arguments into a new buffer (for `XADD` of an 8 KiB frame, one allocation and one copy of
 * the frame less per publish). `args` stay the real arguments, for ioredis's debug log and error messages.
 */
class EncodedCommand extends Command {
  readonly #bytes: Buffer;

  constructor(name: string, args: Array<string | Buffer>, bytes: Buffer) {
    super(name, args, { replyEncoding: 'utf8' });
    this.#bytes = bytes;
  }

  override toWritable(): Buffer {
    return this.#bytes;
  }
}

/** What every `XADD` of one stream key (and trim) starts with: its arguments, RESP head and frame room. */
interface XaddHead {
  readonly args: readonly string[];
  /** The RESP of everything before the frame's own length line, as UTF-8. */
  readonly head: Uint8Array;
  readonly room: FrameRoom;
}

/** Heads by key and trim; a transport writes to few streams, the cap only bounds a misuse. */
const heads = new Map<string, XaddHead>();
const MAX_HEADS = 1024;
const utf8 = new TextEncoder();

function headOf(key: string, trim: readonly string[]): XaddHead {
  const cacheKey = trim.length === 0 ? key : `${key}\n${trim.join(' ')}`;
  let cached = heads.get(cacheKey);
  if (cached === undefined) {
    const args = [key, ...trim, '*', 'envelope'];
    let text = `*${args.length + 2}${CRLF}${bulk('XADD')}`;
    for (const arg of args) text += bulk(arg);
    const head = utf8.encode(text);
    cached = { args, head, room: { before: head.byteLength + LENGTH_LINE_MAX, after: CRLF.length } };
    if (heads.size >= MAX_HEADS) heads.clear();
    heads.set(cacheKey, cached);
  }
  return cached;
}

/** A bulk string line of RESP: `$<byte length>\r\n<text>\r\n`. */
function bulk(text: string): string {
  return `$${utf8.encode(text).byteLength}${CRLF}${text}${CRLF}`;
}

const CR = 0x0d;
const LF = 0x0a;
const DOLLAR = 0x24;
const ZERO = 0x30;

/**
 * `XADD <key> [<trim>…] * envelope <wire frame>` as one buffer: the frame is encoded with room around it
 * (`encodeWireFrame`'s `room`) where the command's RESP head and trailing CRLF are written, so the frame is
 * neither concatenated nor copied again — for a batch made by `encodeBatch`, the features are copied once, by
 * `encodeBatch`, from the application's array into what goes on the socket. Throws `E_ENVELOPE` as
 * `encodeWireFrame` does. `format`: the frame's {@link WireFormat}.
 */
export function xaddEnvelope(
  key: string,
  trim: readonly string[],
  envelope: Envelope,
  format: WireFormat = DEFAULT_WIRE_FORMAT,
): Command {
  const { args, head, room } = headOf(key, trim);
  const framed = encodeWireFrame(envelope, room, format);
  const frameStart = room.before;
  const frameEnd = framed.byteLength - room.after;
  // `$<length>\r\n` right before the frame, written backwards from its end; the head right before that.
  let at = frameStart;
  framed[--at] = LF;
  framed[--at] = CR;
  for (let length = frameEnd - frameStart; ; length = Math.floor(length / 10)) {
    framed[--at] = ZERO + (length % 10);
    if (length < 10) break;
  }
  framed[--at] = DOLLAR;
  const start = at - head.byteLength;
  framed.set(head, start);
  framed[frameEnd] = CR;
  framed[frameEnd + 1] = LF;
  // The bytes before `start` in the room are not sent.
  const bytes = Buffer.from(framed.buffer, framed.byteOffset + start, frameEnd + CRLF.length - start);
  const frame = bytes.subarray(frameStart - start, frameEnd - start);
  return new EncodedCommand('XADD', [...args, frame], bytes);
}
