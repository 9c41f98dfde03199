// The plugins against real listeners on 127.0.0.1 and a real script, called
// directly (no CLI): exact bytes on the wire, argv as received, errorlog.txt.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createCommandPlugin } from '../../src/plugins/command.js';
import { pluginEvent } from '../../src/plugins/event.js';
import { createHttpPlugin } from '../../src/plugins/http.js';
import { createRefreshCdnPlugin, ERRORLOG_MAX_WRITES } from '../../src/plugins/refreshCdn.js';
import { createSocketPlugin } from '../../src/plugins/socket.js';
import type { Logger } from '../../src/log/logger.js';
import { fromText } from '../../src/util/bytepath.js';
import { freePort } from '../helpers/ports.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { cdnConfig, commandConfig, httpConfig, socketConfig } from '../plugins/fixtures.js';

after(removeTempDirs);

/** A Logger that keeps every line. */
function recordingLogger(): Logger & { lines: Array<{ level: string; msg: string }> } {
  const lines: Array<{ level: string; msg: string }> = [];
  const rec = (level: string) => (msg: string) => void lines.push({ level, msg });
  return {
    lines,
    error: rec('error'),
    warn: rec('warn'),
    info: rec('info'),
    debug: rec('debug'),
    isDebug: () => true,
    setLevel: () => {},
    reopen: () => {},
    close: async () => {},
  };
}

/** A TCP server that records each connection's bytes once the peer closes. */
async function tcpRecorder(): Promise<{ port: number; conns: Buffer[]; closed: Promise<void>; waitFor(n: number): Promise<void>; close(): Promise<void> }> {
  const conns: Buffer[] = [];
  const waiters: Array<() => void> = [];
  const server = net.createServer((sock) => {
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    sock.on('end', () => {
      conns.push(Buffer.concat(chunks));
      sock.end();
      waiters.splice(0).forEach((w) => w());
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    conns,
    closed: Promise.resolve(),
    async waitFor(n) {
      while (conns.length < n) await new Promise<void>((r) => waiters.push(r));
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A fake CDN refresh API: reads one request, answers `whatsup: succeed\n`, closes. */
async function cdnServer(): Promise<{ port: number; requests: Buffer[]; close(): Promise<void> }> {
  const requests: Buffer[] = [];
  const server = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      if (buf.includes('\r\n\r\n')) {
        requests.push(buf);
        sock.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nwhatsup: succeed\n');
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** An executable that records its argv (NUL-separated) in a new file per call. */
async function argvRecorder(dir: string): Promise<{ script: string; callsDir: string; calls(): Promise<string[][]> }> {
  const script = path.join(dir, 'hook.sh');
  const callsDir = path.join(dir, 'calls');
  await writeFile(script, '#!/bin/sh\nd=$1; shift\nf=$(mktemp "$d/call.XXXXXX")\nprintf \'%s\\0\' "$@" > "$f"\n');
  await chmod(script, 0o755);
  await import('node:fs/promises').then((f) => f.mkdir(callsDir));
  return {
    script,
    callsDir,
    async calls() {
      const out: string[][] = [];
      for (const name of (await readdir(callsDir)).sort()) {
        const raw = await readFile(path.join(callsDir, name), 'latin1');
        out.push(raw.split('\0').slice(0, -1));
      }
      return out;
    },
  };
}

describe('command plugin with a real script', () => {
  it('passes the absolute path as exactly one argument between prefix and suffix words', async () => {
    const dir = await makeTempDir('plug-cmd');
    const rec = await argvRecorder(dir);
    const p = createCommandPlugin(commandConfig({ prefix: `${rec.script} ${rec.callsDir} --pre`, suffix: 'SUF "two words"' }), {
      debug: false,
      log: recordingLogger(),
    });
    p.handle(pluginEvent('/data/www', 'p.txt', false, 'sync'));
    await p.close();
    assert.deepEqual(await rec.calls(), [['--pre', '/data/www/p.txt', 'SUF', 'two words']]);
    assert.equal(p.stats().succeeded, 1);
  });

  it('runs nothing but the hook for names full of shell syntax', async () => {
    const dir = await makeTempDir('plug-inj');
    const rec = await argvRecorder(dir);
    const p = createCommandPlugin(commandConfig({ prefix: `${rec.script} ${rec.callsDir}` }), { debug: false, log: recordingLogger() });
    const names = [
      `x;touch ${dir}/INJECTED`,
      `$(touch ${dir}/INJECTED2)`,
      `\`touch ${dir}/INJECTED3\``,
      `a\ntouch ${dir}/INJECTED4`,
      `"; touch ${dir}/INJECTED5; "`,
    ].map(fromText);
    for (const n of names) p.handle(pluginEvent('/w', n, false, 'sync'));
    await p.close();
    for (const f of ['INJECTED', 'INJECTED2', 'INJECTED3', 'INJECTED4', 'INJECTED5']) {
      assert.equal(existsSync(path.join(dir, f)), false, `${f} must not exist`);
    }
    const got = (await rec.calls()).map((c) => c.join('|')).sort();
    assert.deepEqual(got, names.map((n) => `/w/${n}`).sort());
  });

  it('runs only for paths matched by an include rule', async () => {
    const dir = await makeTempDir('plug-incl');
    const rec = await argvRecorder(dir);
    const p = createCommandPlugin(commandConfig({ prefix: `${rec.script} ${rec.callsDir}`, includes: ['(.*)\\.php', '(.*)\\.sh'] }), {
      debug: false,
      log: recordingLogger(),
    });
    for (const rel of ['p.php', 'p.txt', 'sub/x.sh']) p.handle(pluginEvent('/data/www', rel, false, 'sync'));
    p.handle(pluginEvent('/data/www', 'p.php', false, 'delete'));
    await p.close();
    const got = (await rec.calls()).map((c) => c[0]).sort();
    assert.deepEqual(got, ['/data/www/p.php', '/data/www/p.php', '/data/www/sub/x.sh']);
    assert.equal(p.stats().filtered, 1);
  });

  it('logs a non-zero exit unless ignoreError, and the command line in debug mode', async () => {
    const loud = recordingLogger();
    const p1 = createCommandPlugin(commandConfig({ prefix: '/bin/false' }), { debug: true, log: loud });
    p1.handle(pluginEvent('/w', 'a b', false, 'sync'));
    await p1.close();
    assert.ok(loud.lines.some((l) => l.level === 'info' && l.msg === "command plugin: /bin/false '/w/a b'"), JSON.stringify(loud.lines));
    assert.ok(loud.lines.some((l) => l.level === 'warn' && /\/bin\/false '\/w\/a b' exited with 1/.test(l.msg)), JSON.stringify(loud.lines));

    const quiet = recordingLogger();
    const p2 = createCommandPlugin(commandConfig({ prefix: '/bin/false', ignoreError: true }), { debug: false, log: quiet });
    p2.handle(pluginEvent('/w', 'a', false, 'sync'));
    await p2.close();
    assert.equal(p2.stats().failed, 1);
    assert.deepEqual(quiet.lines, []);
  });

  it('kills a command that outlives the timeout', async () => {
    const log = recordingLogger();
    // argv: /bin/sh -c 'sleep 30' <path> — the path is only $0 there, never parsed.
    const p = createCommandPlugin(commandConfig({ prefix: "/bin/sh -c 'exec sleep 30'" }), { debug: false, log, timeoutMs: 200 });
    p.handle(pluginEvent('/w', '1', false, 'sync'));
    await p.close();
    assert.equal(p.stats().timedOut, 1);
    assert.ok(log.lines.some((l) => l.level === 'warn' && /still running after 200 ms; killed/.test(l.msg)));
  });

  it('skips (with a warning, counted) a path that is not valid UTF-8', async () => {
    const dir = await makeTempDir('plug-utf');
    const rec = await argvRecorder(dir);
    const log = recordingLogger();
    const p = createCommandPlugin(commandConfig({ prefix: `${rec.script} ${rec.callsDir}` }), { debug: false, log });
    p.handle(pluginEvent('/w', 'bad\xff', false, 'sync'));
    p.handle(pluginEvent('/w', fromText('gut-é'), false, 'sync'));
    await p.close();
    assert.equal(p.stats().skippedNonUtf8, 1);
    assert.ok(log.lines.some((l) => l.level === 'warn' && /not valid UTF-8/.test(l.msg)));
    assert.deepEqual(await rec.calls(), [[fromText('/w/gut-é')]]);
  });

  it('runs at most `concurrency` commands at once and queues the rest', async () => {
    const dir = await makeTempDir('plug-conc');
    const script = path.join(dir, 'slow.sh');
    // Records the number of concurrently running instances seen by each call.
    await writeFile(
      script,
      `#!/bin/sh\nmkdir "${dir}/run.$$"\nls -d "${dir}"/run.* | wc -l > "${dir}/seen.$$"\nsleep 0.2\nrmdir "${dir}/run.$$"\n`,
    );
    await chmod(script, 0o755);
    const p = createCommandPlugin(commandConfig({ prefix: script }), { debug: false, log: recordingLogger(), concurrency: 2 });
    for (let i = 0; i < 6; i++) p.handle(pluginEvent('/w', String(i), false, 'sync'));
    assert.equal(p.stats().running, 2);
    assert.equal(p.stats().queued, 4);
    await p.close();
    const seen = await Promise.all(
      (await readdir(dir)).filter((f) => f.startsWith('seen.')).map(async (f) => Number((await readFile(path.join(dir, f), 'utf8')).trim())),
    );
    assert.equal(seen.length, 6);
    assert.ok(Math.max(...seen) <= 2, `at most 2 at once, saw ${seen}`);
  });
});

describe('socket plugin with a real TCP listener', () => {
  it('opens one connection per event carrying exactly the absolute path bytes (spec §10 case 34)', async () => {
    const srv = await tcpRecorder();
    const p = createSocketPlugin(socketConfig({ port: srv.port }), { log: recordingLogger() });
    p.handle(pluginEvent('/data/www', 's1.txt', false, 'sync'));
    await srv.waitFor(1);
    p.handle(pluginEvent('/data/www', 'sub/dd', true, 'sync'));
    await srv.waitFor(2);
    p.handle(pluginEvent('/data/www', 's1.txt', false, 'delete'));
    await srv.waitFor(3);
    await p.close();
    await srv.close();
    assert.deepEqual(srv.conns.map((b) => b.toString('latin1')), ['/data/www/s1.txt', '/data/www/sub/dd', '/data/www/s1.txt']);
    assert.equal(p.stats().sent, 3);
  });

  it('sends raw bytes, also for names that are not UTF-8, and long paths whole', async () => {
    const srv = await tcpRecorder();
    const p = createSocketPlugin(socketConfig({ port: srv.port }), { log: recordingLogger() });
    const long = 'd/'.repeat(1500) + 'f';
    p.handle(pluginEvent('/w', 'bad\xff\xfe', false, 'sync'));
    p.handle(pluginEvent('/w', long, false, 'sync'));
    await srv.waitFor(2);
    await p.close();
    await srv.close();
    assert.deepEqual(
      srv.conns.map((b) => b.toString('latin1')).sort(),
      [`/w/${long}`, '/w/bad\xff\xfe'].sort(),
    );
  });

  it('with nothing listening, handle() does not wait and close() ends; failures are counted', async () => {
    const port = await freePort();
    const log = recordingLogger();
    const p = createSocketPlugin(socketConfig({ port }), { log });
    for (let i = 0; i < 100; i++) {
      assert.equal(p.handle(pluginEvent('/w', `f${i}`, false, 'sync')), undefined);
    }
    // handle() only queued: nothing can have completed synchronously.
    assert.equal(p.stats().sent + p.stats().failed, 0);
    // A liveness bound, not a timing claim: close() must end on its own.
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      p.close().then(() => 'closed'),
      new Promise((r) => (timer = setTimeout(() => r('hung'), 15000))),
    ]);
    clearTimeout(timer);
    assert.equal(closed, 'closed');
    const s = p.stats();
    assert.equal(s.failed + s.dropped, 100);
    assert.equal(s.sent, 0);
    assert.ok(log.lines.every((l) => l.level === 'debug' || l.level === 'warn'));
  });

  it('drops (and counts) events beyond the queue bound instead of growing without limit', () => {
    const p = createSocketPlugin(socketConfig({ ip: '127.0.0.1', port: 9 }), {
      log: recordingLogger(),
      concurrency: 1,
      maxQueued: 5,
    });
    for (let i = 0; i < 20; i++) p.handle(pluginEvent('/w', `f${i}`, false, 'sync'));
    assert.equal(p.stats().dropped, 14);
    return p.close();
  });
});

describe('refreshCDN plugin with a real listener', () => {
  it('sends the exact request for a file and a directory and logs sersync2\'s errorlog lines', async () => {
    const dir = await makeTempDir('plug-cdn');
    const srv = await cdnServer();
    const errorLogPath = path.join(dir, 'errorlog.txt');
    const p = createRefreshCdnPlugin(cdnConfig({ port: srv.port, watch: '/data/www' }), { log: recordingLogger(), errorLogPath, concurrency: 1 });
    p.handle(pluginEvent('/data/www', 'c1.jpg', false, 'sync'));
    p.handle(pluginEvent('/data/www', 'sub/dd', true, 'sync'));
    await p.close();
    await srv.close();
    const fileReq = 'HEAD /index.jsp?user=xxxx&pswd=xxxx&ok=ok&urls=http://pic.example.com/cms/c1.jpg HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n';
    const dirReq = 'HEAD /index.jsp?user=xxxx&pswd=xxxx&ok=ok&dirs=http://pic.example.com/cms/sub/dd/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n';
    assert.deepEqual(srv.requests.map((b) => b.toString('latin1')), [fileReq, dirReq]);
    assert.equal(await readFile(errorLogPath, 'latin1'), `whatsup: succee ${fileReq}\nwhatsup: succee ${dirReq}\n`);
  });

  it('with regexurl, builds the URL from group 1 and skips paths that do not match', async () => {
    const dir = await makeTempDir('plug-cdnre');
    const srv = await cdnServer();
    const p = createRefreshCdnPlugin(
      cdnConfig({ port: srv.port, watch: '/data/cms.xoyo.com', match: 'cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images', sendUrlBase: 'http://pic.xoyo.com/cms' }),
      { log: recordingLogger(), errorLogPath: path.join(dir, 'errorlog.txt'), concurrency: 1 },
    );
    p.handle(pluginEvent('/data/cms.xoyo.com', 'site/jx3.xoyo.com/images/a.png', false, 'sync'));
    p.handle(pluginEvent('/data/cms.xoyo.com', 'other/b.png', false, 'sync'));
    await p.close();
    await srv.close();
    assert.deepEqual(srv.requests.map((b) => b.toString('latin1')), [
      'HEAD /index.jsp?user=xxxx&pswd=xxxx&ok=ok&urls=http://pic.xoyo.com/cms/jx3/a.png HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n',
    ]);
    assert.equal(p.stats().skipped, 1);
  });

  it('starts errorlog.txt over after 1000 lines, as sersync2 does', async () => {
    const dir = await makeTempDir('plug-cdntr');
    const srv = await cdnServer();
    const errorLogPath = path.join(dir, 'errorlog.txt');
    const p = createRefreshCdnPlugin(cdnConfig({ port: srv.port }), { log: recordingLogger(), errorLogPath, maxQueued: 2000 });
    for (let i = 0; i < ERRORLOG_MAX_WRITES + 2; i++) p.handle(pluginEvent('/data/www', `f${i}`, false, 'sync'));
    await p.close();
    await srv.close();
    const lines = (await readFile(errorLogPath, 'latin1')).split('\r\n\r\n\n').filter(Boolean);
    assert.equal(p.stats().logged, ERRORLOG_MAX_WRITES + 2);
    assert.equal(lines.length, 2);
  });

  it('with nothing listening, counts the failure and writes no line', async () => {
    const dir = await makeTempDir('plug-cdndead');
    const errorLogPath = path.join(dir, 'errorlog.txt');
    const p = createRefreshCdnPlugin(cdnConfig({ port: await freePort() }), { log: recordingLogger(), errorLogPath });
    p.handle(pluginEvent('/data/www', 'c1.jpg', false, 'sync'));
    await p.close();
    assert.equal(p.stats().failed, 1);
    assert.equal(existsSync(errorLogPath), false);
  });
});

describe('http plugin (webhook) with a real HTTP server', () => {
  it('POSTs the form body of §7.4 to deshost url', async () => {
    const bodies: Array<{ url: string; type: string; body: string }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('latin1');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        bodies.push({ url: req.url ?? '', type: req.headers['content-type'] ?? '', body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const p = createHttpPlugin(httpConfig({ url: `http://127.0.0.1:${port}/hook?k=v` }), { log: recordingLogger(), concurrency: 1 });
    p.handle(pluginEvent('/data/www', 'a.txt', false, 'sync'));
    p.handle(pluginEvent('/data/www', 'sub/dd', true, 'sync'));
    p.handle(pluginEvent('/data/www', fromText('x&y=é'), false, 'delete'));
    await p.close();
    await new Promise((r) => server.close(r));
    assert.deepEqual(bodies.map((b) => b.url), ['/hook?k=v', '/hook?k=v', '/hook?k=v']);
    assert.ok(bodies.every((b) => b.type === 'application/x-www-form-urlencoded'));
    assert.deepEqual(
      bodies.map((b) => Object.fromEntries(new URLSearchParams(b.body))),
      [
        { watchroot: '/data/www', isdir: '0', inotifyPath: '/data/www/a.txt', mask: '8' },
        { watchroot: '/data/www', isdir: '1', inotifyPath: '/data/www/sub/dd', mask: String(0x40000100) },
        { watchroot: '/data/www', isdir: '0', inotifyPath: '/data/www/x&y=é', mask: '512' },
      ],
    );
    assert.equal(p.stats().sent, 3);
  });

  it('counts a non-2xx answer and an unreachable server as failures', async () => {
    const server = http.createServer((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const p1 = createHttpPlugin(httpConfig({ url: `http://127.0.0.1:${port}/` }), { log: recordingLogger() });
    p1.handle(pluginEvent('/w', 'a', false, 'sync'));
    await p1.close();
    await new Promise((r) => server.close(r));
    assert.deepEqual([p1.stats().sent, p1.stats().failed], [0, 1]);

    const p2 = createHttpPlugin(httpConfig({ url: `http://127.0.0.1:${await freePort()}/` }), { log: recordingLogger() });
    p2.handle(pluginEvent('/w', 'a', false, 'sync'));
    await p2.close();
    assert.deepEqual([p2.stats().sent, p2.stats().failed], [0, 1]);
  });
});
