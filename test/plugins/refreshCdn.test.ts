import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cdnRequest,
  cdnTarget,
  cdnUrl,
  errorLogLine,
  protectRequestLine,
  replyStatus,
} from '../../src/plugins/refreshCdn.js';
import { fromText } from '../../src/util/bytepath.js';
import { cdnConfig } from './fixtures.js';

describe('refreshCDN: URL part (spec §7.3)', () => {
  it('without regexurl, is the base plus the absolute path minus the watch root', () => {
    assert.equal(cdnUrl(cdnConfig(), '/data/www/c1.jpg'), 'http://pic.example.com/cms/c1.jpg');
    assert.equal(cdnUrl(cdnConfig(), '/data/www/sub/dd'), 'http://pic.example.com/cms/sub/dd');
  });

  it('with regexurl, is the base plus group 1 plus the text after the match (regex_search)', () => {
    const cfg = cdnConfig({
      watch: '/data/cms.xoyo.com',
      match: 'cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images',
      sendUrlBase: 'http://pic.xoyo.com/cms',
    });
    assert.equal(
      cdnUrl(cfg, '/data/cms.xoyo.com/site/jx3.xoyo.com/images/index.html'),
      'http://pic.xoyo.com/cms/jx3/index.html',
    );
  });

  it('with regexurl, skips the event when the expression does not match', () => {
    const cfg = cdnConfig({ match: 'cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images' });
    assert.equal(cdnUrl(cfg, '/data/www/c1.jpg'), null);
  });

  it('with regexurl and no group 1, appends only the text after the match', () => {
    const cfg = cdnConfig({ match: '/data/www/' });
    assert.equal(cdnUrl(cfg, '/data/www/a/b.jpg'), 'http://pic.example.com/cmsa/b.jpg');
  });

  it('puts a directory in &dirs= with a trailing slash and anything else in &urls=', () => {
    assert.equal(cdnTarget('http://h/cms/sub/dd', true), '&dirs=http://h/cms/sub/dd/');
    assert.equal(cdnTarget('http://h/cms/c1.jpg', false), '&urls=http://h/cms/c1.jpg');
  });
});

describe('refreshCDN: request bytes (spec §10 case 35)', () => {
  it('for a file, is exactly sersync2\'s HEAD request', () => {
    const cfg = cdnConfig();
    assert.equal(
      cdnRequest(cfg, cdnUrl(cfg, '/data/www/c1.jpg')!, false),
      'HEAD /index.jsp?user=xxxx&pswd=xxxx&ok=ok&urls=http://pic.example.com/cms/c1.jpg HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n',
    );
  });

  it('for a directory, uses &dirs=<url>/', () => {
    const cfg = cdnConfig();
    assert.equal(
      cdnRequest(cfg, cdnUrl(cfg, '/data/www/sub/dd')!, true),
      'HEAD /index.jsp?user=xxxx&pswd=xxxx&ok=ok&dirs=http://pic.example.com/cms/sub/dd/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n',
    );
  });

  it('does not URL-encode: spaces, &, % and non-ASCII bytes go out raw, as in sersync2', () => {
    const cfg = cdnConfig();
    const abs = fromText('/data/www/a b&c%d é.jpg');
    const req = cdnRequest(cfg, cdnUrl(cfg, abs)!, false);
    assert.ok(req.includes(`&urls=http://pic.example.com/cms${fromText('/a b&c%d é.jpg')} HTTP/1.0\r\n`));
  });

  it('percent-encodes CR, LF and NUL so a file name cannot end the request line', () => {
    const cfg = cdnConfig();
    const req = cdnRequest(cfg, cdnUrl(cfg, '/data/www/x\r\nX-Evil: 1\r\n\r\nGET /\0')!, false);
    assert.equal(
      req,
      'HEAD /index.jsp?user=xxxx&pswd=xxxx&ok=ok&urls=http://pic.example.com/cms/x%0D%0AX-Evil: 1%0D%0A%0D%0AGET /%00 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n',
    );
    assert.equal(req.split('\r\n').length, 4); // request line, Host, blank, ''
  });

  it('protectRequestLine leaves every other byte alone', () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i))
      .filter((c) => !'\r\n\0'.includes(c))
      .join('');
    assert.equal(protectRequestLine(all), all);
  });
});

describe('refreshCDN: errorlog.txt line', () => {
  it('keeps sersync2\'s off-by-one: `whatsup: succeed\\n` is logged as `whatsup: succee`', () => {
    assert.equal(replyStatus('whatsup: succeed\n'), 'whatsup: succee');
  });

  it('starts at `whatsup` anywhere in the reply and stops at its line end', () => {
    assert.equal(replyStatus('HTTP/1.0 200 OK\r\nX: y\r\n\r\nwhatsup: failed\r\nmore\n'), 'whatsup: failed');
  });

  it('takes the rest of the reply (minus its last byte) when no newline follows', () => {
    assert.equal(replyStatus('whatsup: ok!'), 'whatsup: ok');
  });

  it('is empty when the reply has no `whatsup`', () => {
    assert.equal(replyStatus('HTTP/1.0 404 Not Found\r\n\r\n'), '');
    assert.equal(replyStatus(''), '');
  });

  it('is the status, a space, the full request text and a newline (spec §7.3 observed line)', () => {
    const req =
      'HEAD /index.jsp?user=xxxx&pswd=xxxx&ok=ok&urls=http://pic.example.com/cms/c1.jpg HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n';
    assert.equal(errorLogLine('whatsup: succeed\n', req), `whatsup: succee ${req}\n`);
  });
});
