import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Serves a Fetch-API handler (GET and HEAD only: the health routes take no body) over node:http on a free port. */
export async function serveFetch(
  handler: (request: Request) => Promise<Response | undefined>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const request = new Request(`http://localhost${req.url ?? '/'}`, { method: req.method ?? 'GET' });
    handler(request)
      .then(async (response) => {
        const answer = response ?? new Response('not found', { status: 404 });
        const headers: Record<string, string> = {};
        answer.headers.forEach((value, key) => (headers[key] = value));
        res.writeHead(answer.status, headers);
        res.end(Buffer.from(await answer.arrayBuffer()));
      })
      .catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
