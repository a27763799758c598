import { encodeWireFrame, type Envelope, type FrameRoom } from '@dissonance/core';
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
  /** The RESP of everything before the frame's own length line, and its UTF-8 length. */
  readonly head: string;
  readonly headBytes: number;
  readonly room: FrameRoom;
}

/** Heads by key and trim; a transport writes to few streams, the cap only bounds a misuse. */
const heads = new Map<string, XaddHead>();
const MAX_HEADS = 1024;

function headOf(key: string, trim: readonly string[]): XaddHead {
  const cacheKey = trim.length === 0 ? key : `${key}\n${trim.join(' ')}`;
  let cached = heads.get(cacheKey);
  if (cached === undefined) {
    const args = [key, ...trim, '*', 'envelope'];
    let head = `*${args.length + 2}${CRLF}${bulk('XADD')}`;
    for (const arg of args) head += bulk(arg);
    const headBytes = Buffer.byteLength(head);
    cached = { args, head, headBytes, room: { before: headBytes + LENGTH_LINE_MAX, after: CRLF.length } };
    if (heads.size >= MAX_HEADS) heads.clear();
    heads.set(cacheKey, cached);
  }
  return cached;
}

/** A bulk string line of RESP: `$<byte length>\r\n<text>\r\n`. */
function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}${CRLF}${text}${CRLF}`;
}

/**
 * `XADD <key> [<trim>…] * envelope <wire frame>` as one buffer: the frame is encoded with room around it
 * (`encodeWireFrame`'s `room`) where the command's RESP head and trailing CRLF are written, so the frame is
 * neither concatenated nor copied again — for a batch made by `encodeBatch`, the features are copied once, by
 * `encodeBatch`, from the application's array into what goes on the socket. Throws `E_ENVELOPE` as
 * `encodeWireFrame` does.
 */
export function xaddEnvelope(key: string, trim: readonly string[], envelope: Envelope): Command {
  const { args, head, headBytes, room } = headOf(key, trim);
  const framed = encodeWireFrame(envelope, room);
  const bytes = Buffer.from(framed.buffer, framed.byteOffset, framed.byteLength);
  const frameEnd = bytes.byteLength - room.after;
  const frame = bytes.subarray(room.before, frameEnd);
  const lengthLine = `$${frame.byteLength}${CRLF}`;
  // The head ends right where the frame starts: the bytes before it in the room are not sent.
  const start = room.before - lengthLine.length - headBytes;
  bytes.write(head, start, 'utf8');
  bytes.write(lengthLine, room.before - lengthLine.length, 'latin1');
  bytes.write(CRLF, frameEnd, 'latin1');
  return new EncodedCommand('XADD', [...args, frame], bytes.subarray(start));
}
