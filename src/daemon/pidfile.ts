// The pid file: the daemon's pid in decimal and a newline, the format every
// init script, logrotate `kill -HUP $(cat …)` and monitoring tool expects.
import fs from 'node:fs';
import path from 'node:path';
import { pidAlive } from './proc.js';

export class PidFileBusyError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(`pid file ${file} belongs to running pid ${pid}`);
    this.name = 'PidFileBusyError';
  }
}

/** The pid in a pid file, or null (missing, empty, garbage). */
export function readPidFile(file: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const m = /^\s*(\d+)\s*$/.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Writes this process's pid to `file` (atomically: temp file + rename), after
 * creating its directory (0700). Refuses to overwrite the pid file of another
 * live process: two instances sharing one pid file would signal each other.
 */
export function writePidFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const other = readPidFile(file);
  if (other !== null && other !== process.pid && pidAlive(other)) throw new PidFileBusyError(file, other);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${process.pid}\n`, { mode: 0o644 });
  fs.renameSync(tmp, file);
}

/** Removes the pid file if it still names this process. Synchronous (for 'exit'). */
export function removePidFile(file: string): void {
  if (readPidFile(file) !== process.pid) return;
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}
