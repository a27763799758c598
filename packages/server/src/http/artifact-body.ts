/** Bytes per chunk of an artifact download. */
const CHUNK_BYTES = 64 * 1024;

/**
 * `bytes` as a stream of views (never copied), a chunk each time the reader asks for one: a client that stops
 * reading holds no more than the socket's buffers, and the bytes are shared by every download of the same
 * version.
 */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= bytes.byteLength) {
          controller.close();
          return;
        }
        const end = Math.min(bytes.byteLength, offset + CHUNK_BYTES);
        controller.enqueue(bytes.subarray(offset, end));
        offset = end;
      },
    },
    { highWaterMark: 0 },
  );
}

/** Whether an `If-None-Match` header names `etag` (a strong tag with its quotes) or is `*`. */
export function matchesEtag(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
