// A real `rsync --daemon` on 127.0.0.1, for integration tests.
//
//   startRsyncDaemon(opts?: RsyncDaemonOptions): Promise<RsyncDaemon>
//
// Options: auth (default false) → `auth users = sersync` + a secrets file, and a
// client password file (mode 0600) with the right password; modules (default ['www']);
// readOnly (default false); port (default: a free high port).
//
// The daemon runs `rsync --daemon --no-detach --config=<dir>/rsyncd.conf --port=P
// --address=127.0.0.1` in its own process group (rsync forks per connection; stop()
// kills the whole group). Every module is a fresh empty directory moduleDir(name).
// `munge symlinks = no` so that symlinks arrive as symlinks. As root (CI) it runs with
// `use chroot = yes` and `uid = root`/`gid = root`, so ownership is kept and symlink
// targets arrive verbatim, as on a real sersync2 target. Not as root: `use chroot = no`,
// where rsync sanitizes absolute symlink targets (strips the leading '/').
//
// Typical use, with the sersync2 command shape:
//   const d = await startRsyncDaemon({ auth: true });
//   rsync -artuz -R ./a.txt  d.target('www')  ...d.clientArgs()
//   → sersync@127.0.0.1::www --port=P --password-file=F
import { writeFile, mkdir, readFile, chmod } from 'node:fs/promises';
import { openSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { makeTempDir } from './tmp.js';
import { freePort, waitForListener } from './ports.js';
import { spawnGroup, stopGroup } from './procs.js';

export interface RsyncDaemonOptions {
  /** Require a user and password (`auth users` + `secrets file`). Default false. */
  auth?: boolean;
  /** Module names (letters, digits, `.`, `_`, `-`). Default ['www']. */
  modules?: string[];
  /** `read only = yes` on every module. Default false. */
  readOnly?: boolean;
  /** Port to listen on. Default: a free high port. */
  port?: number;
}

export interface RsyncDaemon {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly modules: readonly string[];
  /** The auth user (`sersync`); only checked when started with auth. */
  readonly user: string;
  /** The right password (what the secrets file holds for `user`). */
  readonly password: string;
  /** Client-side password file (mode 0600) holding `password`, for --password-file=. */
  readonly passwordFile: string;
  /** The daemon's log file (connections, errors). */
  readonly logFile: string;
  /** Directory holding rsyncd.conf, secrets, password file, log and module dirs. */
  readonly dir: string;
  /** True between a successful start and stop. */
  readonly running: boolean;
  /** Absolute path of the directory behind module `name`. */
  moduleDir(name: string): string;
  /** rsync destination for a module: `127.0.0.1::name`, or `sersync@127.0.0.1::name` with auth. */
  target(name: string): string;
  /** Client options reaching this daemon: `--port=P`, plus `--password-file=F` with auth. */
  clientArgs(): string[];
  /** Kills the daemon and its forked children; resolves once they are gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same directories (after stop()). */
  start(): Promise<void>;
}

const MODULE_NAME = /^[A-Za-z0-9._-]+$/;

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

class Daemon implements RsyncDaemon {
  readonly host = '127.0.0.1' as const;
  readonly user = 'sersync';
  private child: ChildProcess | null = null;

  constructor(
    public port: number,
    readonly modules: readonly string[],
    readonly password: string,
    readonly passwordFile: string,
    readonly logFile: string,
    readonly dir: string,
    private readonly configFile: string,
    private readonly auth: boolean,
  ) {}

  get running(): boolean {
    return this.child !== null;
  }

  moduleDir(name: string): string {
    if (!this.modules.includes(name)) throw new Error(`rsyncd: no module '${name}' (have ${this.modules.join(', ')})`);
    return path.join(this.dir, 'modules', name);
  }

  target(name: string): string {
    this.moduleDir(name); // validates the name
    return `${this.auth ? `${this.user}@` : ''}${this.host}::${name}`;
  }

  clientArgs(): string[] {
    return [`--port=${this.port}`, ...(this.auth ? [`--password-file=${this.passwordFile}`] : [])];
  }

  /** One attempt to start on this.port; throws with the daemon's own words on failure. */
  async tryStart(): Promise<void> {
    // Anything rsync says outside its log file goes to <dir>/rsyncd.stderr.
    const errFile = path.join(this.dir, 'rsyncd.stderr');
    const errFd = openSync(errFile, 'w');
    const child = spawnGroup(
      'rsync',
      ['--daemon', '--no-detach', `--config=${this.configFile}`, `--port=${this.port}`, '--address=127.0.0.1'],
      { stdio: ['ignore', errFd, errFd] },
      { unref: true },
    );
    closeSync(errFd);
    let spawnError: Error | null = null;
    child.once('error', (e) => (spawnError = e));
    const dead = () => spawnError !== null || child.exitCode !== null || child.signalCode !== null;
    try {
      if (child.pid === undefined) throw new Error('could not spawn rsync');
      await waitForListener(child.pid, this.port, { timeoutMs: 10000, isDead: dead });
    } catch (e) {
      await stopGroup(child, { group: true, signal: 'SIGKILL' });
      const output = (await readFile(errFile, 'utf8').catch(() => '')).trim();
      const log = await readFile(this.logFile, 'utf8').catch(() => '');
      const tail = log.trim().split('\n').slice(-4).join(' | ');
      throw new Error(
        `rsync daemon did not start on 127.0.0.1:${this.port}: ${(spawnError as Error | null)?.message ?? (e as Error).message}` +
          `${output ? `; output: ${output}` : ''}${tail ? `; log: ${tail}` : ''}`,
      );
    }
    this.child = child;
  }

  async start(attempts = 20): Promise<void> {
    if (this.child) return;
    // The same port can stay busy briefly after stop() (another test may even have
    // grabbed it); retry for a few seconds.
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        await this.tryStart();
        return;
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw last;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    // SIGKILL: rsync lingers ~400 ms on SIGTERM, and a killed server is what tests want.
    await stopGroup(child, { group: true, signal: 'SIGKILL', graceMs: 3000 });
  }
}

function rsyncdConf(dir: string, modules: readonly string[], opts: { auth: boolean; readOnly: boolean; secretsFile: string; logFile: string }): string {
  const lines = [
    '# generated by test/helpers/rsyncd.ts',
    // As root: chroot (rsync's default, and what real sersync2 targets run), because
    // without it the daemon sanitizes symlinks: absolute targets lose their leading '/'
    // and targets escaping the module are cut. Without root chroot is impossible.
    `use chroot = ${isRoot() ? 'yes' : 'no'}`,
    ...(isRoot() ? ['uid = root', 'gid = root'] : []),
    'max connections = 0',
    'numeric ids = yes',
    'munge symlinks = no',
    'reverse lookup = no',
    `log file = ${opts.logFile}`,
    '',
  ];
  for (const m of modules) {
    lines.push(`[${m}]`, `path = ${path.join(dir, 'modules', m)}`, `read only = ${opts.readOnly ? 'yes' : 'no'}`);
    if (opts.auth) lines.push('auth users = sersync', `secrets file = ${opts.secretsFile}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Starts an rsync daemon on 127.0.0.1 (see the top of this file). */
export async function startRsyncDaemon(opts: RsyncDaemonOptions = {}): Promise<RsyncDaemon> {
  const modules = opts.modules ?? ['www'];
  if (modules.length === 0) throw new Error('rsyncd: at least one module');
  for (const m of modules) if (!MODULE_NAME.test(m)) throw new Error(`rsyncd: bad module name '${m}'`);
  const auth = opts.auth ?? false;

  const dir = await makeTempDir('rsyncd');
  for (const m of modules) await mkdir(path.join(dir, 'modules', m), { recursive: true });
  const password = randomBytes(12).toString('hex');
  const secretsFile = path.join(dir, 'rsyncd.secrets');
  const passwordFile = path.join(dir, 'client.password');
  const logFile = path.join(dir, 'rsyncd.log');
  const configFile = path.join(dir, 'rsyncd.conf');
  // rsync refuses secrets/password files that others can read.
  await writeFile(secretsFile, `sersync:${password}\n`, { mode: 0o600 });
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  await chmod(secretsFile, 0o600);
  await chmod(passwordFile, 0o600);
  await writeFile(configFile, rsyncdConf(dir, modules, { auth, readOnly: opts.readOnly ?? false, secretsFile, logFile }));

  if (opts.port !== undefined) {
    const d = new Daemon(opts.port, modules, password, passwordFile, logFile, dir, configFile, auth);
    await d.start(3);
    return d;
  }
  // A free port can be taken by someone else before rsync binds it: try a few.
  let last: unknown;
  for (let i = 0; i < 5; i++) {
    const d = new Daemon(await freePort(), modules, password, passwordFile, logFile, dir, configFile, auth);
    try {
      await d.tryStart();
      return d;
    } catch (e) {
      last = e;
    }
  }
  throw last;
}
