// Free TCP ports on 127.0.0.1 for daemons started by tests.
//
//   freePort(): Promise<number>
//     A port (≥ 10000) that was free on 127.0.0.1 a moment ago. Another process may
//     still take it before you bind it, so fixtures that bind retry with a new port.
//   waitForPort(port: number, opts?: { timeoutMs?: number; isDead?: () => boolean }): Promise<void>
//     Resolves once 127.0.0.1:port accepts a TCP connection; rejects on timeout or
//     as soon as isDead() returns true (the process that should listen has exited).
//   waitForListener(pid: number, port: number, opts?: { timeoutMs?: number; isDead?: () => boolean }): Promise<void>
//     Resolves once process `pid` itself holds a listening socket on 127.0.0.1:port
//     (read from /proc, so a foreign process on the same port does not count).
import net from 'node:net';
import { readFile, readdir, readlink } from 'node:fs/promises';

const MIN_PORT = 10000;

function tryListen(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const addr = srv.address();
      const p = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(p));
    });
  });
}

/** A free high port on 127.0.0.1 (asked from the kernel; never below 10000). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await tryListen(0);
    if (p >= MIN_PORT) return p;
  }
  // The kernel's ephemeral range is configured low: pick from the high range ourselves.
  for (let i = 0; i < 200; i++) {
    const candidate = MIN_PORT + Math.floor(Math.random() * (60000 - MIN_PORT));
    try {
      return await tryListen(candidate);
    } catch {
      // taken; try another
    }
  }
  throw new Error('freePort: no free port found on 127.0.0.1');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Waits until 127.0.0.1:port accepts connections. */
export async function waitForPort(
  port: number,
  opts: { timeoutMs?: number; isDead?: () => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10000);
  for (;;) {
    if (opts.isDead?.()) throw new Error(`waitForPort: the process meant to listen on ${port} has exited`);
    if (await canConnect(port)) return;
    if (Date.now() > deadline) throw new Error(`waitForPort: nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Inodes of the IPv4 sockets listening on 127.0.0.1:port (from /proc/net/tcp). */
async function listeningInodes(port: number): Promise<Set<string>> {
  const text = await readFile('/proc/net/tcp', 'utf8');
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
    if (f.length > 9 && f[1] === want && f[3] === '0A') inodes.add(f[9]!);
  }
  return inodes;
}

async function holdsSocket(pid: number, inodes: Set<string>): Promise<boolean> {
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1]!)) return true;
    } catch {
      // fd closed meanwhile
    }
  }
  return false;
}

/** Waits until process `pid` listens on 127.0.0.1:port. */
export async function waitForListener(
  pid: number,
  port: number,
  opts: { timeoutMs?: number; isDead?: () => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10000);
  for (;;) {
    if (opts.isDead?.()) throw new Error(`waitForListener: process ${pid} exited before listening on ${port}`);
    if (await holdsSocket(pid, await listeningInodes(port))) return;
    if (Date.now() > deadline) throw new Error(`waitForListener: process ${pid} does not listen on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
