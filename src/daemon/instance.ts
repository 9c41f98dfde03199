// One running instance per config file and per watch root: take both locks and
// write the pid file before watching starts; give them all back on exit, by
// whatever path the process exits (signal handler, error, process.exit).
import fs from 'node:fs';
import { acquireLock, LockHeldError, releaseLock } from './lock.js';
import { ensureStateDir, type StatePaths } from './paths.js';
import { PidFileBusyError, removePidFile, writePidFile } from './pidfile.js';

/** A user error: run.ts prints `sersync2: <message>` and exits with exitCode. */
export class InstanceError extends Error {
  readonly userError = true;
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'InstanceError';
  }
}

export interface InstanceClaim {
  readonly paths: StatePaths;
  readonly pidFile: string;
  /** Also files to remove on exit (the status socket). */
  addCleanup(file: string): void;
  /** Give everything back now (idempotent). */
  release(): void;
}

export function claimInstance(opts: {
  paths: StatePaths;
  /** --pid-file, or null for the default in the state directory. */
  pidFile: string | null;
  configFile: string;
  /** The watch root for messages. */
  rootText: string;
  /** Something the operator should know (logged as a warning). */
  onNote?(message: string): void;
}): InstanceClaim {
  const { paths } = opts;
  try {
    ensureStateDir(paths.stateDir);
  } catch (e) {
    throw new InstanceError(
      `cannot create the state directory ${paths.stateDir}: ${(e as Error).message} — create it or set <sersyncts stateDir=…>`,
    );
  }
  const taken: string[] = [];
  const extra: string[] = [];
  let pidFile = opts.pidFile ?? paths.pidFile;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    removePidFile(pidFile);
    for (const f of extra) {
      try {
        fs.unlinkSync(f);
      } catch {
        // already gone
      }
    }
    for (const f of taken) releaseLock(f);
    process.off('exit', release);
  };
  process.on('exit', release);

  try {
    take(paths.configLock, `config ${opts.configFile}`, taken, (pid) =>
      `another sersync-ts (pid ${pid}) is already running with the config ${opts.configFile}; ` +
      `stop it first (kill ${pid}), or check its state with --status`,
    );
    take(paths.rootLock, `config ${opts.configFile}`, taken, (pid, what) =>
      `another sersync-ts (pid ${pid}${what ? `, ${what}` : ''}) is already watching ${opts.rootText}; ` +
      `two instances would push the same changes twice — stop it first (kill ${pid})`,
    );
    try {
      try {
        writePidFile(pidFile);
      } catch (e) {
        // The default pid file is taken by another instance (other config, other
        // root): do not refuse to run, use a file of our own and say so.
        if (!(e instanceof PidFileBusyError) || opts.pidFile !== null) throw e;
        pidFile = paths.pidFile.replace(/\.pid$/, `-${paths.rootKey.slice(0, 16)}.pid`);
        writePidFile(pidFile);
        opts.onNote?.(
          `the default pid file ${paths.pidFile} belongs to another sersync-ts (pid ${e.pid}); ` +
            `this instance uses ${pidFile} (give each instance its own --pid-file)`,
        );
      }
    } catch (e) {
      if (e instanceof PidFileBusyError) {
        throw new InstanceError(
          `the pid file ${pidFile} belongs to another running process (pid ${e.pid}); ` +
            'give this instance its own file with --pid-file',
        );
      }
      throw new InstanceError(`cannot write the pid file ${pidFile}: ${(e as Error).message}`);
    }
  } catch (e) {
    release();
    throw e;
  }

  return {
    paths,
    get pidFile() {
      return pidFile;
    },
    addCleanup(file) {
      extra.push(file);
    },
    release,
  };
}

function take(file: string, what: string, taken: string[], message: (pid: number, what: string) => string): void {
  try {
    acquireLock(file, what);
    taken.push(file);
  } catch (e) {
    if (e instanceof LockHeldError) throw new InstanceError(`${message(e.holder.pid, e.holder.what)} [lock ${file}]`);
    throw new InstanceError(`cannot take the lock ${file}: ${(e as Error).message}`);
  }
}
