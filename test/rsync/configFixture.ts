// A hand-built Config equivalent to spec §10's BASE: the stock confxml.xml with
// `localpath watch="/data/www"`, `remote ip="10.0.0.2" name="www"`, debug off.
// Tests change what they need through the `edit` callback:
//   stockConfig((c) => { c.rsync.ssh = true; c.remotes[0]!.name = '/backup/www'; })
import type { Config } from '../../src/config/types.js';

export function stockConfig(edit?: (c: Config) => void): Config {
  const c: Config = {
    file: 'confxml.xml',
    host: { ip: 'localhost', port: 8008 },
    debug: false,
    xfs: false,
    filter: { enabled: false, excludes: [] },
    inotify: {
      delete: true,
      createFolder: true,
      createFile: false,
      closeWrite: true,
      moveFrom: true,
      moveTo: true,
      attrib: false,
      modify: false,
    },
    localPath: '/data/www',
    ignoredLocalPaths: [],
    remotes: [{ ip: '10.0.0.2', name: 'www' }],
    rsync: {
      commonParams: '-artuz',
      commonArgs: ['-artuz'],
      auth: { enabled: false, users: 'root', passwordFile: '/etc/rsync.pas' },
      userDefinedPort: { enabled: false, port: '874' },
      timeout: { enabled: false, time: '100' },
      ssh: false,
    },
    failLog: { path: '/tmp/rsync_fail_log.sh', intervalSeconds: 3600, timeToExecuteRaw: '60' },
    crontab: {
      enabled: false,
      scheduleMinutes: 600,
      scheduleRaw: '600',
      filter: { enabled: false, excludes: ['*.php', 'info/*'] },
    },
    plugin: { enabled: false, name: 'command' },
    plugins: { command: null, socket: null, refreshCDN: null, http: null },
    extensions: { auditIntervalSeconds: 0, deleteGuardRatio: 0.5, quietMs: 0, stateDir: '/var/lib/sersync-ts', maxBatch: 1000 },
    warnings: [],
  };
  edit?.(c);
  return c;
}

/** The remote of a config (the first one). */
export function remoteOf(c: Config) {
  return c.remotes[0]!;
}
