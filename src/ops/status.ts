// The local status endpoint: the daemon answers every connection on a unix
// socket in its state directory (mode 0600, in a 0700 directory) with one
// JSON document and closes it; `sersync2 --status -o confxml.xml` finds the
// socket from the same config and prints it.
import fs from 'node:fs';
import net from 'node:net';
import { MAX_SOCKET_PATH } from '../daemon/paths.js';
import type { StatusDocument } from './statusDoc.js';

export class NoDaemonError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'NoDaemonError';
  }
}

export interface StatusServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Serves `produce()` on `socketPath`. Any file already there is stale (the caller holds the instance lock). */
export async function startStatusServer(
  socketPath: string,
  produce: () => StatusDocument | Promise<StatusDocument>,
): Promise<StatusServer> {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new Error(`the status socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter stateDir`);
  }
  try {
    fs.unlinkSync(socketPath);
  } catch {
    // none
  }
  const server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    Promise.resolve()
      .then(produce)
      .then(
        (doc) => sock.end(`${JSON.stringify(doc)}\n`),
        (e) => sock.end(`${JSON.stringify({ error: (e as Error).message })}\n`),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.chmodSync(socketPath, 0o600);
  server.unref(); // never the reason the process stays alive
  return {
    path: socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        try {
          fs.unlinkSync(socketPath);
        } catch {
          // gone
        }
      }),
  };
}

/** Asks the daemon listening on `socketPath`. Rejects with NoDaemonError when nobody answers. */
export function queryStatus(socketPath: string, timeoutMs = 10_000): Promise<StatusDocument> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    let data = '';
    sock.setEncoding('utf8');
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      reject(new NoDaemonError(`the daemon did not answer on ${socketPath} within ${timeoutMs / 1000} s`, 'ETIMEDOUT'));
    });
    sock.on('data', (d: string) => (data += d));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      reject(new NoDaemonError(`no daemon answers on ${socketPath} (${e.code ?? e.message})`, e.code ?? 'ERROR'));
    });
    sock.on('end', () => {
      try {
        const doc = JSON.parse(data) as StatusDocument & { error?: string };
        if (doc.error) reject(new Error(`the daemon could not report its status: ${doc.error}`));
        else resolve(doc);
      } catch {
        reject(new Error(`the daemon on ${socketPath} sent an unreadable answer`));
      }
    });
  });
}
