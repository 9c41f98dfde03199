// Writes a confxml.xml for a test, in the structure of the stock file
// (/work/shared/spec/confxml.stock.xml), from a small options object.
//
//   writeConfig(dir: string, opts: ConfigOptions): Promise<string>
//     Writes <dir>/<opts.fileName ?? 'confxml.xml'> and returns its absolute path.
//   renderConfig(dir: string, opts: ConfigOptions): string
//     The XML text only.
//
// Defaults are the stock values, except where the stock file would point outside the
// test: the fail log is <dir>/rsync_fail_log.sh, and the socket / refreshCDN plugin
// sections use 127.0.0.1 and the test's watch directory. Every attribute value is
// XML-escaped. Values are normal JS strings, written as UTF-8 (as an editor would).
//
//   writeConfig(dir, { watch: src, remotes: [{ ip: '127.0.0.1', name: 'www' }],
//                      auth: { users: d.user, passwordFile: d.passwordFile }, port: d.port })
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface ConfigOptions {
  /** `<localpath watch>` (W). */
  watch: string;
  /** `<remote ip name>` children of the localpath. */
  remotes: Array<{ ip: string; name: string }>;
  /** File name inside dir. Default 'confxml.xml'. */
  fileName?: string;
  /** `<host hostip port>`. Default localhost / 8008. */
  host?: { ip: string; port: number | string };
  /** `<debug start>`. Default false. */
  debug?: boolean;
  /** `<fileSystem xfs>`. Default false. */
  xfs?: boolean;
  /** `<filter start="true">` with these exclude regexes. Absent: start="false" with the stock excludes. */
  filter?: string[];
  /** `<inotify>` switches. Defaults are the stock ones: delete, createFolder, closeWrite, moveFrom, moveTo on; createFile, attrib, modify off. */
  delete?: boolean;
  createFolder?: boolean;
  createFile?: boolean;
  closeWrite?: boolean;
  moveFrom?: boolean;
  moveTo?: boolean;
  attrib?: boolean;
  modify?: boolean;
  /** `<commonParams params>`. Default '-artuz'. */
  commonParams?: string;
  /** `<auth start="true" users passwordfile>`. Absent: start="false" with the stock values. */
  auth?: { users: string; passwordFile: string };
  /** `<userDefinedPort start="true" port>`. Absent: start="false" port="874". */
  port?: number | string;
  /** `<timeout start="true" time>`. Absent: start="false" time="100". */
  timeout?: number | string;
  /** `<ssh start>`. Default false. */
  ssh?: boolean;
  /** `<failLog path timeToExecute>`. Default: <dir>/rsync_fail_log.sh, 60 minutes. */
  failLog?: { path: string; minutes: number | string };
  /** `<crontab start="true" schedule>`; crontabfilter on when excludes are given. Absent: start="false". */
  crontab?: { schedule: number | string; excludes?: string[] };
  /**
   * `<sersync><plugin start name>` (start defaults to true), and the settings of that
   * plugin's definition in <head>: command → prefix/suffix/ignoreError/includes;
   * socket → watch/ip/port; refreshCDN → watch/domainName/port/userName/passwd/sendUrlBase/regex/match.
   */
  plugin?: PluginOptions;
  /** Raw XML appended inside <sersync> (e.g. a second <localpath>). */
  sersyncExtra?: string;
  /** Raw XML appended inside <head> (e.g. a <sersyncts> extension element). */
  extra?: string;
}

export interface PluginOptions {
  name: string;
  start?: boolean;
  // command
  prefix?: string;
  suffix?: string;
  ignoreError?: boolean;
  /** command: `<filter start="true">` with these include regexes. */
  includes?: string[];
  // socket / refreshCDN
  watch?: string;
  ip?: string;
  port?: number | string;
  domainName?: string;
  userName?: string;
  passwd?: string;
  sendUrlBase?: string;
  regex?: boolean;
  match?: string;
}

/** Escapes a value for a double-quoted XML attribute. */
export function xmlAttr(v: string | number | boolean): string {
  return String(v)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const onOff = (b: boolean | undefined, dflt: boolean): string => ((b ?? dflt) ? 'true' : 'false');

/** The confxml.xml text for `opts` (see the top of this file). */
export function renderConfig(dir: string, opts: ConfigOptions): string {
  const a = xmlAttr;
  const p = opts.plugin;
  const pluginFor = (name: string): PluginOptions | undefined => (p && p.name === name ? p : undefined);
  const excludes = (list: string[]) => list.map((e) => `\t<exclude expression="${a(e)}"></exclude>`).join('\n');
  const filterList = opts.filter ?? ['(.*)\\.svn', '(.*)\\.gz', '^info/*', '^static/*'];
  const cron = opts.crontab;
  const cronExcludes = cron?.excludes ?? ['*.php', 'info/*'];
  const failLog = opts.failLog ?? { path: path.join(dir, 'rsync_fail_log.sh'), minutes: 60 };
  const cmd = pluginFor('command');
  const sock = pluginFor('socket');
  const cdn = pluginFor('refreshCDN');
  const cmdIncludes = cmd?.includes ?? ['(.*)\\.php', '(.*)\\.sh'];

  return `<?xml version="1.0" encoding="ISO-8859-1"?>
<head version="2.5">
    <host hostip="${a(opts.host?.ip ?? 'localhost')}" port="${a(opts.host?.port ?? 8008)}"></host>
    <debug start="${onOff(opts.debug, false)}"/>
    <fileSystem xfs="${onOff(opts.xfs, false)}"/>
    <filter start="${opts.filter ? 'true' : 'false'}">
${excludes(filterList)}
    </filter>
    <inotify>
\t<delete start="${onOff(opts.delete, true)}"/>
\t<createFolder start="${onOff(opts.createFolder, true)}"/>
\t<createFile start="${onOff(opts.createFile, false)}"/>
\t<closeWrite start="${onOff(opts.closeWrite, true)}"/>
\t<moveFrom start="${onOff(opts.moveFrom, true)}"/>
\t<moveTo start="${onOff(opts.moveTo, true)}"/>
\t<attrib start="${onOff(opts.attrib, false)}"/>
\t<modify start="${onOff(opts.modify, false)}"/>
    </inotify>

    <sersync>
\t<localpath watch="${a(opts.watch)}">
${opts.remotes.map((r) => `\t    <remote ip="${a(r.ip)}" name="${a(r.name)}"/>`).join('\n')}
\t</localpath>
\t<rsync>
\t    <commonParams params="${a(opts.commonParams ?? '-artuz')}"/>
\t    <auth start="${opts.auth ? 'true' : 'false'}" users="${a(opts.auth?.users ?? 'root')}" passwordfile="${a(opts.auth?.passwordFile ?? '/etc/rsync.pas')}"/>
\t    <userDefinedPort start="${opts.port !== undefined ? 'true' : 'false'}" port="${a(opts.port ?? 874)}"/><!-- port=874 -->
\t    <timeout start="${opts.timeout !== undefined ? 'true' : 'false'}" time="${a(opts.timeout ?? 100)}"/><!-- timeout=100 -->
\t    <ssh start="${onOff(opts.ssh, false)}"/>
\t</rsync>
\t<failLog path="${a(failLog.path)}" timeToExecute="${a(failLog.minutes)}"/><!--default every 60mins execute once-->
\t<crontab start="${cron ? 'true' : 'false'}" schedule="${a(cron?.schedule ?? 600)}"><!--600mins-->
\t    <crontabfilter start="${cron?.excludes && cron.excludes.length > 0 ? 'true' : 'false'}">
${cronExcludes.map((e) => `\t\t<exclude expression="${a(e)}"></exclude>`).join('\n')}
\t    </crontabfilter>
\t</crontab>
\t<plugin start="${p ? onOff(p.start, true) : 'false'}" name="${a(p?.name ?? 'command')}"/>
${opts.sersyncExtra ?? ''}
    </sersync>

    <plugin name="command">
\t<param prefix="${a(cmd?.prefix ?? '/bin/sh')}" suffix="${a(cmd?.suffix ?? '')}" ignoreError="${onOff(cmd?.ignoreError, true)}"/>\t<!--prefix /opt/tongbu/mmm.sh suffix-->
\t<filter start="${cmd?.includes ? 'true' : 'false'}">
${cmdIncludes.map((e) => `\t    <include expression="${a(e)}"/>`).join('\n')}
\t</filter>
    </plugin>

    <plugin name="socket">
\t<localpath watch="${a(sock?.watch ?? opts.watch)}">
\t    <deshost ip="${a(sock?.ip ?? '127.0.0.1')}" port="${a(sock?.port ?? 8009)}"/>
\t</localpath>
    </plugin>
    <plugin name="refreshCDN">
\t<localpath watch="${a(cdn?.watch ?? opts.watch)}">
\t    <cdninfo domainname="${a(cdn?.domainName ?? '127.0.0.1')}" port="${a(cdn?.port ?? 80)}" username="${a(cdn?.userName ?? 'xxxx')}" passwd="${a(cdn?.passwd ?? 'xxxx')}"/>
\t    <sendurl base="${a(cdn?.sendUrlBase ?? 'http://pic.xoyo.com/cms')}"/>
\t    <regexurl regex="${onOff(cdn?.regex, false)}" match="${a(cdn?.match ?? 'cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images')}"/>
\t</localpath>
    </plugin>
${opts.extra ?? ''}
</head>
`;
}

/** Writes the config file and returns its absolute path. */
export async function writeConfig(dir: string, opts: ConfigOptions): Promise<string> {
  const file = path.resolve(dir, opts.fileName ?? 'confxml.xml');
  await writeFile(file, renderConfig(dir, opts), 'utf8');
  return file;
}
