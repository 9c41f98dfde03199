// `npm run demo`: start an rsync daemon on 127.0.0.1 (with auth), a demo
// watch directory, and sersync2 with a generated confxml.xml; then make a few
// changes and show each one arriving on the "remote" side. Everything lives in
// a temp directory that is removed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repo, 'dist', 'src', 'cli', 'main.js');
const keep = process.argv.includes('--keep');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (check()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('timed out');
}

function waitPort(port: number, ms: number): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tryOnce = (): void => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() - t0 > ms) reject(new Error(`port ${port} did not open`));
        else setTimeout(tryOnce, 50);
      });
    };
    tryOnce();
  });
}

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sersync-ts-demo-'));
  const watch = path.join(base, 'www');
  const mirror = path.join(base, 'backup');
  fs.mkdirSync(watch);
  fs.mkdirSync(mirror);
  fs.writeFileSync(path.join(watch, 'index.html'), '<h1>already here before start</h1>\n');
  const port = await freePort();
  const secrets = path.join(base, 'rsyncd.secrets');
  const passwordFile = path.join(base, 'rsync.password');
  fs.writeFileSync(secrets, 'demo:demo-secret\n', { mode: 0o600 });
  fs.writeFileSync(passwordFile, 'demo-secret\n', { mode: 0o600 });
  const uid = os.userInfo();
  fs.writeFileSync(
    path.join(base, 'rsyncd.conf'),
    [
      'use chroot = no',
      'max connections = 0',
      `pid file = ${base}/rsyncd.pid`,
      `log file = ${base}/rsyncd.log`,
      ...(uid.uid === 0 ? ['uid = root', 'gid = root'] : []),
      '[www]',
      `path = ${mirror}`,
      'read only = no',
      'auth users = demo',
      `secrets file = ${secrets}`,
      '',
    ].join('\n'),
  );
  const children: ChildProcess[] = [];
  const cleanup = (): void => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    if (!keep) setTimeout(() => fs.rmSync(base, { recursive: true, force: true }), 300);
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  const rsyncd = spawn('rsync', ['--daemon', '--no-detach', `--config=${base}/rsyncd.conf`, `--port=${port}`, '--address=127.0.0.1'], {
    stdio: 'inherit',
  });
  children.push(rsyncd);
  await waitPort(port, 5000);
  console.log(`demo: rsync daemon on 127.0.0.1:${port}, module [www] → ${mirror}`);

  const conf = path.join(base, 'confxml.xml');
  const example = fs.readFileSync(path.join(repo, 'confxml.xml.example'), 'latin1');
  fs.writeFileSync(
    conf,
    example
      .replace(/<localpath watch="[^"]*">/, `<localpath watch="${watch}">`)
      .replace(/<remote ip="[^"]*" name="[^"]*"\/>/, `<remote ip="127.0.0.1" name="www"/>`)
      .replace(/<auth start="false" users="[^"]*" passwordfile="[^"]*"\/>/, `<auth start="true" users="demo" passwordfile="${passwordFile}"/>`)
      .replace(/<userDefinedPort start="false" port="[^"]*"\/>/, `<userDefinedPort start="true" port="${port}"/>`)
      .replace(/<failLog path="[^"]*"/, `<failLog path="${base}/rsync_fail_log.sh"`),
    'latin1',
  );
  console.log(`demo: config ${conf}`);
  const sersync = spawn(process.execPath, [cli, '-r', '-o', conf], { stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(sersync);
  await waitFor(() => fs.existsSync(path.join(mirror, 'index.html')), 30_000);
  console.log('demo: -r pushed index.html (it existed before start)');

  const steps: Array<[string, () => void, () => boolean]> = [
    ['create hello.txt', () => fs.writeFileSync(path.join(watch, 'hello.txt'), 'hello\n'), () => fs.existsSync(path.join(mirror, 'hello.txt'))],
    ['mkdir -p a/b/c + file', () => {
      fs.mkdirSync(path.join(watch, 'a/b/c'), { recursive: true });
      fs.writeFileSync(path.join(watch, 'a/b/c/deep.txt'), 'deep\n');
    }, () => fs.existsSync(path.join(mirror, 'a/b/c/deep.txt'))],
    ['a name with spaces and $(quotes)', () => fs.writeFileSync(path.join(watch, 'it\'s "$(id)".txt'), 'safe\n'), () => fs.existsSync(path.join(mirror, 'it\'s "$(id)".txt'))],
    ['delete hello.txt', () => fs.rmSync(path.join(watch, 'hello.txt')), () => !fs.existsSync(path.join(mirror, 'hello.txt'))],
  ];
  for (const [label, act, arrived] of steps) {
    const t0 = Date.now();
    act();
    await waitFor(arrived, 10_000);
    console.log(`demo: ${label.padEnd(36)} → on the mirror after ${Date.now() - t0} ms`);
  }
  if (process.argv.includes('--once')) {
    cleanup();
    return;
  }
  console.log(`demo: now edit files in ${watch} and watch ${mirror}; Ctrl-C to stop.`);
}

main().catch((e) => {
  console.error(`demo failed: ${(e as Error).message}`);
  process.exit(1);
});
