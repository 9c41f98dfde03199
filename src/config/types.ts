// The typed, validated form of confxml.xml (spec §2.2). Every string that can
// name a file (watch paths, remote module/path, fail-log path, regexes) is a
// BytePath: the raw bytes of the config file decoded as latin1, so regexes
// match bytes like boost does and non-UTF-8 paths stay exact.
import type { BytePath } from '../util/bytepath.js';

/** The eight `<inotify>` switches (spec §3.1). */
export interface InotifyToggles {
  delete: boolean;
  createFolder: boolean;
  createFile: boolean;
  closeWrite: boolean;
  moveFrom: boolean;
  moveTo: boolean;
  attrib: boolean;
  modify: boolean;
}

/** One `<filter><exclude expression>`: a whole-string regex (boost Perl syntax). */
export interface ExcludeRule {
  expression: BytePath;
  /** Compiled once; anchored so that `test` is a whole-string match. */
  regex: RegExp;
}

/** One `<remote ip name>` of the first `<localpath>`. */
export interface Remote {
  ip: string;
  /** rsync daemon module, or with ssh on, the remote path. */
  name: BytePath;
}

export interface RsyncSettings {
  /** `commonParams@params` exactly as written (may be empty). */
  commonParams: string;
  /** commonParams split into argv words the way sh would split them. */
  commonArgs: string[];
  auth: { enabled: boolean; users: string; passwordFile: string };
  userDefinedPort: { enabled: boolean; port: string };
  timeout: { enabled: boolean; time: string };
  ssh: boolean;
}

export interface FailLogSettings {
  /** Fail-log script path, resolved against the start-up cwd. */
  path: BytePath;
  /** Replay interval in seconds (timeToExecute minutes × 60; spec §2.2, §6.3). */
  intervalSeconds: number;
  /** `timeToExecute` as written, for messages. */
  timeToExecuteRaw: string;
}

export interface CrontabSettings {
  /** As written in the file (`<crontab start="true">`). */
  enabled: boolean;
  /** Full-sync period in minutes (≤0 or non-numeric → 600, as sersync2). */
  scheduleMinutes: number;
  scheduleRaw: string;
  filter: {
    enabled: boolean;
    /** rsync exclude patterns (globs, not regexes), passed as --exclude=. */
    excludes: BytePath[];
  };
}

export type PluginName = 'command' | 'socket' | 'refreshCDN' | 'http';

export interface CommandPluginConfig {
  prefix: string;
  suffix: string;
  ignoreError: boolean;
  /** Compiled include rules; filled only when `filter start="true"` (regex_match on the absolute path). */
  filter: { enabled: boolean; includes: ExcludeRule[] };
  /** prefix / suffix split into argv words the way sh would (undefined if they cannot be split; validatePluginFor reports it). */
  prefixArgs?: string[];
  suffixArgs?: string[];
  /** Why this plugin cannot run (one-line messages); checked by validatePluginFor only when the plugin is used. */
  problems?: string[];
}

export interface SocketPluginConfig {
  /** `localpath@watch` as written (trailing slash kept, spec §2.4). */
  watch: BytePath;
  ip: string;
  /** NaN when the attribute is missing or not a number (validatePluginFor reports it). */
  port: number;
  problems?: string[];
}

export interface RefreshCdnPluginConfig {
  /** `localpath@watch` with one trailing slash stripped (spec §2.4). */
  watch: BytePath;
  domainName: string;
  port: number;
  userName: string;
  passwd: string;
  sendUrlBase: string;
  /** enabled = `regex="true"`; regex = `match` compiled for regex_search (null when off or invalid). */
  regexUrl: { enabled: boolean; match: BytePath; regex: RegExp | null };
  problems?: string[];
}

export interface HttpPluginConfig {
  /** `localpath@watch` with one trailing slash stripped. */
  watch: BytePath;
  url: string;
  port: string;
  problems?: string[];
}

/** sersync-ts extensions, from the optional `<sersyncts>` element (ignored by sersync2). */
export interface Extensions {
  /** Periodic audit (drift repair) interval in seconds; 0 = off. */
  auditIntervalSeconds: number;
  /** Refuse a reconciliation that would delete more than this share (0..1) of the remote. */
  deleteGuardRatio: number;
  /** Quiet period (ms) before a file that was just written is pushed (closeWrite emulation). */
  quietMs: number;
  /** Directory for the journal, pid file, lock and status socket. */
  stateDir: BytePath;
  /** Paths per batched rsync call at most. */
  maxBatch: number;
  /** Retry backoff of a failing remote: first delay and cap, ms (`retryBaseMs`, `retryMaxMs`; defaults 500, 60000). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export interface Config {
  /** Path of the config file as given on the command line. */
  file: string;
  host: { ip: string; port: number };
  debug: boolean;
  /** `<fileSystem xfs="true">`: follow directory symlinks in the start-up scan. */
  xfs: boolean;
  filter: { enabled: boolean; excludes: ExcludeRule[] };
  inotify: InotifyToggles;
  /** The sersync localpath (W without a plugin), one trailing '/' stripped. */
  localPath: BytePath;
  /** Other `<localpath>` elements, ignored (a warning each). */
  ignoredLocalPaths: BytePath[];
  remotes: Remote[];
  rsync: RsyncSettings;
  failLog: FailLogSettings;
  crontab: CrontabSettings;
  /** `<sersync><plugin start name>`: the plugin chained after each push. */
  plugin: { enabled: boolean; name: string };
  plugins: {
    command: CommandPluginConfig | null;
    socket: SocketPluginConfig | null;
    refreshCDN: RefreshCdnPluginConfig | null;
    http: HttpPluginConfig | null;
  };
  extensions: Extensions;
  /** Quirks worth telling the user about (printed at start-up and by --check). */
  warnings: string[];
}

/** For XML-level errors: what sersync2's parser would have reported (spec §1.3). */
export interface XmlErrorInfo {
  /** sersync2's detail line, e.g. `Error: File not found`, `Warning: Unmatched end tag`. */
  detail: string;
  /** 1-based, or 0 when there is no position (file not found, first tag not found). */
  line: number;
  col: number;
}

/** A user error in the config: exit code and a one-line message, no stack trace. */
export class ConfigError extends Error {
  /** Set for XML errors (exit 255): lets the CLI print sersync2's 3-line block (formatSersync2XmlError). */
  readonly detail?: string;
  readonly line?: number;
  readonly col?: number;
  constructor(
    message: string,
    /** sersync2's exit code for this case (255 for XML errors, 1 for the rest). */
    readonly exitCode: number,
    xml?: XmlErrorInfo,
  ) {
    super(message);
    this.name = 'ConfigError';
    if (xml) {
      this.detail = xml.detail;
      this.line = xml.line;
      this.col = xml.col;
    }
  }
  /** Alias of `detail`. */
  get xmlDetail(): string | undefined {
    return this.detail;
  }
  /** Alias of `col`. */
  get column(): number | undefined {
    return this.col;
  }
}
