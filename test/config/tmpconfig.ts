// Helpers for the config-loader unit tests: write a config text to a temp
// file, load it, and check ConfigErrors.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type LoadOptions } from '../../src/config/load.js';
import { ConfigError, type Config } from '../../src/config/types.js';

/** The stock confxml.xml, copied into the repo so the tests are self-contained. */
export const STOCK_PATH = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../test/fixtures/config/confxml.stock.xml');
/** Its text, latin1-decoded (byte string). */
export const STOCK = readFileSync(STOCK_PATH, 'latin1');

const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sersync-config-test-'));
  dirs.push(d);
  return d;
}

/** Write `text` (a byte string: written as latin1, i.e. byte for byte) and return its path. */
export function writeTemp(text: string | Buffer, name = 'confxml.xml'): string {
  const file = path.join(tempDir(), name);
  writeFileSync(file, typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  return file;
}

const FIXED: LoadOptions = { cwd: '/work/cwd', env: {}, uid: 1000 };

/** Load a config text with a fixed cwd/env/uid. */
export function load(text: string | Buffer, opts: LoadOptions = {}): Config {
  return loadConfig(writeTemp(text), { ...FIXED, ...opts });
}

/** The stock file with text replacements applied (each `from` must occur). */
export function stockWith(...edits: Array<[string | RegExp, string]>): string {
  let s = STOCK;
  for (const [from, to] of edits) {
    const before = s;
    s = s.replace(from, to);
    assert.notEqual(s, before, `stockWith: ${String(from)} not found in the stock file`);
  }
  return s;
}

/** A small valid config: <head> + extra + <sersync> with one localpath/remote + sersyncExtra. */
export function minimal(opts: { head?: string; sersync?: string; localpath?: string } = {}): string {
  const lp = opts.localpath ?? '<localpath watch="/data/www"><remote ip="10.0.0.2" name="www"/></localpath>';
  return `<head>${opts.head ?? ''}<sersync>${lp}${opts.sersync ?? ''}</sersync></head>`;
}

/** Assert that fn throws a ConfigError with this exit code and message parts; returns it. */
export function assertConfigError(fn: () => unknown, exitCode: number, ...parts: Array<string | RegExp>): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.exitCode, exitCode, caught.message);
  assert.ok(!caught.message.includes('\n'), `message must be one line: ${caught.message}`);
  for (const p of parts) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(p)}`);
    else assert.match(caught.message, p);
  }
  return caught;
}

/** The one warning that contains `part` (fails if none). */
export function warningWith(config: Config, part: string): string {
  const w = config.warnings.find((x) => x.includes(part));
  assert.ok(w, `no warning contains ${JSON.stringify(part)}; warnings: ${JSON.stringify(config.warnings)}`);
  return w;
}
