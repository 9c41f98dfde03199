// Self-test of test/helpers/config.ts: the generated confxml.xml is well-formed,
// stock-shaped, and carries the options (escaped) where sersync2 reads them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { writeConfig, renderConfig, xmlAttr } from '../helpers/config.js';
import { makeTempDir } from '../helpers/tmp.js';

type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function parse(xml: string): Node {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['remote', 'exclude', 'include', 'plugin'].includes(name) });
  return parser.parse(xml) as Node;
}

describe('harness: writeConfig', () => {
  it('writes confxml.xml with the stock defaults when given only watch and remotes', async () => {
    const dir = await makeTempDir('conf');
    const file = await writeConfig(dir, { watch: '/data/www', remotes: [{ ip: '127.0.0.1', name: 'www' }] });
    assert.equal(file, path.join(dir, 'confxml.xml'));
    const head = parse(await readFile(file, 'utf8')).head as Node;
    assert.equal(head.host.hostip, 'localhost');
    assert.equal(head.debug.start, 'false');
    assert.equal(head.filter.start, 'false');
    assert.deepEqual(
      Object.fromEntries(Object.entries(head.inotify as Node).map(([k, v]) => [k, (v as Node).start])),
      { delete: 'true', createFolder: 'true', createFile: 'false', closeWrite: 'true', moveFrom: 'true', moveTo: 'true', attrib: 'false', modify: 'false' },
    );
    const s = head.sersync as Node;
    assert.equal(s.localpath.watch, '/data/www');
    assert.deepEqual(s.localpath.remote, [{ ip: '127.0.0.1', name: 'www' }]);
    assert.equal(s.rsync.commonParams.params, '-artuz');
    assert.equal(s.rsync.auth.start, 'false');
    assert.equal(s.rsync.userDefinedPort.start, 'false');
    assert.equal(s.rsync.ssh.start, 'false');
    assert.equal(s.failLog.path, path.join(dir, 'rsync_fail_log.sh'));
    assert.equal(s.failLog.timeToExecute, '60');
    assert.equal(s.crontab.start, 'false');
    assert.equal(s.plugin[0].start, 'false');
    assert.deepEqual((head.plugin as Node[]).map((p) => p.name), ['command', 'socket', 'refreshCDN']);
    // Nothing points away from 127.0.0.1.
    assert.equal((head.plugin as Node[])[1]!.localpath.deshost.ip, '127.0.0.1');
  });

  it('turns each option on where sersync2 reads it', () => {
    const head = parse(
      renderConfig('/t', {
        watch: '/w',
        remotes: [{ ip: '127.0.0.1', name: 'a' }, { ip: '127.0.0.1', name: 'b' }],
        debug: true,
        filter: ['(.*)\\.tmp', '^cache/.*'],
        attrib: true,
        delete: false,
        commonParams: '-az --bwlimit=100',
        auth: { users: 'sersync', passwordFile: '/t/pw' },
        port: 12345,
        timeout: 7,
        ssh: true,
        failLog: { path: '/t/fail.sh', minutes: 2 },
        crontab: { schedule: 5, excludes: ['*.log'] },
        plugin: { name: 'command', prefix: '/bin/echo', includes: ['(.*)\\.php'] },
        extra: '<sersyncts auditInterval="0"/>',
      }),
    ).head as Node;
    assert.equal(head.debug.start, 'true');
    assert.equal(head.filter.start, 'true');
    assert.deepEqual((head.filter.exclude as Node[]).map((e) => e.expression), ['(.*)\\.tmp', '^cache/.*']);
    assert.equal(head.inotify.attrib.start, 'true');
    assert.equal(head.inotify.delete.start, 'false');
    const s = head.sersync as Node;
    assert.equal(s.localpath.remote.length, 2);
    assert.equal(s.rsync.commonParams.params, '-az --bwlimit=100');
    assert.deepEqual(s.rsync.auth, { start: 'true', users: 'sersync', passwordfile: '/t/pw' });
    assert.deepEqual(s.rsync.userDefinedPort, { start: 'true', port: '12345' });
    assert.deepEqual(s.rsync.timeout, { start: 'true', time: '7' });
    assert.equal(s.rsync.ssh.start, 'true');
    assert.deepEqual(s.failLog, { path: '/t/fail.sh', timeToExecute: '2' });
    assert.equal(s.crontab.start, 'true');
    assert.equal(s.crontab.schedule, '5');
    assert.equal(s.crontab.crontabfilter.start, 'true');
    assert.deepEqual((s.crontab.crontabfilter.exclude as Node[]).map((e) => e.expression), ['*.log']);
    assert.deepEqual(s.plugin[0], { start: 'true', name: 'command' });
    const command = (head.plugin as Node[]).find((p) => p.name === 'command')!;
    assert.equal(command.param.prefix, '/bin/echo');
    assert.equal(command.filter.start, 'true');
    assert.equal(head.sersyncts.auditInterval, '0');
  });

  it('escapes attribute values, so any path or regex survives', () => {
    const nasty = `/tmp/a"b'<c>&d`;
    const regex = `^(x|y)&<"'>$`;
    const head = parse(renderConfig('/t', { watch: nasty, remotes: [{ ip: '127.0.0.1', name: 'm&m' }], filter: [regex] })).head as Node;
    // The parser decodes the standard entities, as sersync2's XML parser does.
    assert.equal(head.sersync.localpath.watch, nasty);
    assert.equal(head.sersync.localpath.remote[0].name, 'm&m');
    assert.equal(head.filter.exclude[0].expression, regex);
    assert.ok(renderConfig('/t', { watch: nasty, remotes: [] }).includes('watch="/tmp/a&quot;b&apos;&lt;c&gt;&amp;d"'));
    assert.equal(xmlAttr(`<&>"'`), '&lt;&amp;&gt;&quot;&apos;');
  });
});
