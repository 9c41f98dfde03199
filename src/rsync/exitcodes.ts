// What an rsync exit means for sersync-ts (spec §6.1, fixed per §9.4).
//
// sersync2 counts exit 0 and 23 as success and everything else as a failure.
// sersync-ts keeps that, adds 24 (vanished source files: the path is gone, the
// delete event will follow), and splits failures into two kinds:
// - 'transient': network/remote trouble; retry with backoff;
// - 'config': retrying will not help until someone fixes something (wrong
//   module, password, option, read-only module…); still retried with
//   backoff, but the cause is logged loudly once.
// The table is exported as data so the README's table can be checked against it.

export type ExitClass = 'ok' | 'vanished' | 'transient' | 'config';

export interface ExitCodeInfo {
  code: number;
  /** rsync's own wording (log.c rerr_names). */
  meaning: string;
  class: ExitClass;
  /** When it happens in practice (what we saw with rsync 3.5.0). */
  note?: string;
}

export const RSYNC_EXIT_CODES: readonly ExitCodeInfo[] = [
  { code: 0, meaning: 'success', class: 'ok' },
  { code: 1, meaning: 'syntax or usage error', class: 'config', note: 'unknown option in commonParams; "module is read only"; --password-file with ssh' },
  { code: 2, meaning: 'protocol incompatibility', class: 'config' },
  { code: 3, meaning: 'errors selecting input/output files, dirs', class: 'config', note: 'remote path missing or not a directory' },
  { code: 4, meaning: 'requested action not supported', class: 'config', note: 'an option the remote rsync does not know' },
  { code: 5, meaning: 'error starting client-server protocol', class: 'config', note: '@ERROR: auth failed / Unknown module / chdir failed' },
  { code: 6, meaning: 'daemon unable to append to log-file', class: 'config' },
  { code: 10, meaning: 'error in socket IO', class: 'transient', note: 'connection refused, host unreachable' },
  { code: 11, meaning: 'error in file IO', class: 'transient', note: 'e.g. disk full on the remote' },
  { code: 12, meaning: 'error in rsync protocol data stream', class: 'transient', note: 'connection dropped' },
  { code: 13, meaning: 'errors with program diagnostics', class: 'transient' },
  { code: 14, meaning: 'error in IPC code', class: 'transient' },
  { code: 15, meaning: 'sibling process crashed', class: 'transient' },
  { code: 16, meaning: 'sibling process terminated abnormally', class: 'transient' },
  { code: 19, meaning: 'received SIGUSR1', class: 'transient' },
  { code: 20, meaning: 'received SIGINT, SIGTERM, or SIGHUP', class: 'transient' },
  { code: 21, meaning: 'waitpid() failed', class: 'transient' },
  { code: 22, meaning: 'error allocating core memory buffers', class: 'transient' },
  { code: 23, meaning: 'some files/attrs were not transferred (see previous errors)', class: 'vanished', note: 'also a missing source path; sersync2 counts it as success (§6.1)' },
  { code: 24, meaning: 'some files vanished before they could be transferred', class: 'vanished' },
  { code: 25, meaning: 'the --max-delete limit stopped deletions', class: 'config' },
  { code: 30, meaning: 'timeout in data send/receive', class: 'transient' },
  { code: 35, meaning: 'timeout waiting for daemon connection', class: 'transient' },
  { code: 124, meaning: 'remote shell failed', class: 'transient' },
  { code: 125, meaning: 'remote shell killed', class: 'transient' },
  { code: 126, meaning: 'remote command could not be run', class: 'config' },
  { code: 127, meaning: 'remote command not found', class: 'config', note: 'no rsync on the remote (ssh mode)' },
  { code: 255, meaning: 'unexplained error', class: 'transient', note: 'ssh could not connect' },
];

const BY_CODE = new Map(RSYNC_EXIT_CODES.map((e) => [e.code, e]));

/**
 * Classify an rsync exit. A signal (our timeout, a kill) or an exit code not
 * in the table is 'transient'. `code === null` without a signal means rsync
 * did not run at all; run.ts classifies that itself (spawn errors).
 */
export function classifyExit(code: number | null, signal?: string | null): ExitClass {
  if (signal) return 'transient';
  if (code === null) return 'transient';
  return BY_CODE.get(code)?.class ?? 'transient';
}

/** rsync's wording for an exit code, or `exit code N`. */
export function exitMeaning(code: number): string {
  return BY_CODE.get(code)?.meaning ?? `exit code ${code}`;
}

/** The most useful line of rsync's stderr, in this order of preference. */
const PREFERRED: RegExp[] = [
  /^@ERROR: .*/, // daemon refused: auth failed, unknown module, chdir failed, max connections
  /^ERROR: .*/, // e.g. "ERROR: module is read only"
  /(failed to connect to|Connection refused|Connection timed out|No route to host|Name or service not known|Could not resolve|connection unexpectedly closed|Permission denied \(publickey|Host key verification failed).*/,
  /--password-file option may only be used.*/,
  /^rsync: .*(unknown option|failed: |error).*/,
  /^rsync: .*/,
];

/**
 * Extract the line that explains an rsync failure from its stderr, e.g.
 * `@ERROR: auth failed on module www`, `@ERROR: Unknown module 'x'`,
 * `rsync: [sender] failed to connect to 127.0.0.1 (127.0.0.1): Connection refused (111)`.
 * Falls back to rsync's summary line without its source position
 * (`rsync error: error in socket IO (code 10)`), then the last line. '' if empty.
 */
export function describeRsyncError(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  for (const re of PREFERRED) {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return clip(m[0]);
    }
  }
  const summary = lines.find((l) => l.startsWith('rsync error:'));
  if (summary) return clip(summary.replace(/ at \S+\(\d+\) \[[^\]]*\]$/, ''));
  return clip(lines.at(-1) ?? '');
}

function clip(s: string): string {
  return s.length > 300 ? `${s.slice(0, 297)}...` : s;
}
