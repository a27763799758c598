import { encodeWireFrame, type Envelope } from '@dissonance/core';
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
  const args = [key, ...trim, '*', 'envelope'];
  let head = `*${args.length + 2}${CRLF}${bulk('XADD')}`;
  for (const arg of args) head += bulk(arg);
  const before = Buffer.byteLength(head) + LENGTH_LINE_MAX;
  const room = encodeWireFrame(envelope, { before, after: CRLF.length });
  const bytes = Buffer.from(room.buffer, room.byteOffset, room.byteLength);
  const frameEnd = bytes.byteLength - CRLF.length;
  const frame = bytes.subarray(before, frameEnd);
  head += `$${frame.byteLength}${CRLF}`;
  const start = before - Buffer.byteLength(head);
  bytes.write(head, start, 'utf8');
  bytes.write(CRLF, frameEnd, 'latin1');
  return new EncodedCommand('XADD', [...args, frame], bytes.subarray(start));
}
