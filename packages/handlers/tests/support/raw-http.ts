import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 exchange over a bare socket, so a test controls exactly what is sent and when:
 * headers without their body, or a chunked body that goes on until the server answers.
 * `send(socket, answered)` writes whatever follows the head; it should stop once `answered()`.
 */
export function rawExchange(
  port: number,
  head: string,
  send: (socket: Socket, answered: () => boolean) => Promise<void> = async () => undefined,
  timeoutMs = 10_000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `no complete answer within ${timeoutMs} ms; got: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`,
          ),
        ),
      timeoutMs,
    );
    const finish = (error?: Error) => {
      if (settled) return;
      const parsed = parse(Buffer.concat(chunks).toString('utf8'));
      if (!error && !parsed) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (parsed) resolve(parsed);
      else reject(error);
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      finish();
    });
    // A reset after the answer arrived is fine; one before it is what the test is about.
    socket.on('error', (error) => finish(error));
    socket.on('close', () =>
      finish(
        new Error(
          `connection closed before a complete answer; got: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`,
        ),
      ),
    );
    socket.on('connect', () => {
      socket.write(head.replace(/\n/g, '\r\n') + '\r\n');
      send(socket, () => chunks.length > 0).catch(() => undefined);
    });
  });
}

/** Parses a complete response (headers plus a body of its Content-Length); null while incomplete. */
function parse(text: string): RawResponse | null {
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) return null;
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = text.slice(split + 4);
  const length = Number(headers['content-length'] ?? 0);
  if (Buffer.byteLength(body) < length) return null;
  return { status: Number(statusLine?.split(' ')[1]), headers, body };
}

/**
 * Writes up to `total` bytes as HTTP chunks of `chunkBytes` until the server answers or the
 * socket fails, counting what was handed to the socket in `progress.sent`.
 */
export async function writeChunked(
  socket: Socket,
  answered: () => boolean,
  total: number,
  progress: { sent: number },
  chunkBytes = 1024 * 1024,
): Promise<void> {
  const chunk = Buffer.alloc(chunkBytes, 0x41);
  while (progress.sent < total && !answered() && !socket.destroyed) {
    socket.write(`${chunk.length.toString(16)}\r\n`);
    socket.write(chunk);
    const ok = socket.write('\r\n');
    progress.sent += chunk.length;
    if (!ok) {
      await new Promise((r) => {
        socket.once('drain', r);
        socket.once('close', r);
      });
    }
  }
  if (!answered() && !socket.destroyed) socket.write('0\r\n\r\n');
}
