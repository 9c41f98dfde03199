// Hostile and unusual file names end to end (issue 3; spec §5.6, §9 items 1
// and 18; parcel-watcher-linux §6.8): every name arrives under its real bytes,
// deletes remove exactly the named path (no wildcard matching), and nothing is
// ever executed — sersync2 ran `system("cd W && rsync … \"./<name>\"")`, where
// a backquote or `$(…)` in a name ran a command.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';
import { removeTempDirs } from '../helpers/tmp.js';
import { converge, type Mirror, startMirror, under } from './engine-kit.js';

after(removeTempDirs);

const B = (...bytes: number[]): Buffer => Buffer.from(bytes);
const cat = (...parts: Array<string | Buffer>): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));

/** Names that a shell, a wildcard matcher or a UTF-8 decoder would get wrong. */
const HOSTILE: Buffer[] = [
  cat('with space.txt'),
  cat('  two leading spaces'),
  cat('trailing space '),
  cat('dq"uote.txt'),
  cat("sq'uote.txt"),
  cat('dollar$HOME.txt'),
  cat('back`tick`.txt'),
  cat('semi;colon.txt'),
  cat('#hash-first.txt'), // rsync's files-from skips lines starting with # or ;
  cat(';semi-first.txt'),
  cat('amp&pipe|gt>lt<.txt'),
  cat('new\nline.txt'),
  cat('tab\there.txt'),
  cat('back\\slash.txt'),
  cat('-leading-dash.txt'),
  cat('--rsh=touch INJECTED'),
  cat('star*.txt'),
  cat('q?mark.txt'),
  cat('[ab].txt'),
  cat('$(touch INJECTED)'),
  cat('`touch INJECTED`'),
  cat('; touch INJECTED ;'),
  cat("'; touch INJECTED; '"),
  cat('"; touch INJECTED; "'),
  cat('x\n$(touch INJECTED)\n'),
  cat('h\u00e9llo w\u00f6rld \u2713.txt'), // valid UTF-8
  cat('bad-', B(0xff, 0xfe), '.txt'), // not UTF-8
  cat('caf', B(0xe9)), // latin1 é: not UTF-8
  cat(B(0xc3, 0x28), '-broken-sequence'), // invalid continuation byte
];

/** Files whose names a wildcard reading of the names above would match. */
const BYSTANDERS = ['starX.txt', 'star.txt', 'q1mark.txt', 'a.txt', 'b.txt'];

/** Every entry named exactly INJECTED below dir (bounded depth), as paths. */
function findInjected(dir: string, depth = 6): string[] {
  const hits: string[] = [];
  let names: Buffer[];
  try {
    names = readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return hits;
  }
  for (const n of names) {
    const p = Buffer.concat([Buffer.from(dir), Buffer.from('/'), n]);
    if (n.toString('latin1') === 'INJECTED') hits.push(p.toString('latin1'));
    if (depth > 0) {
      try {
        const kids = readdirSync(p, { encoding: 'buffer' });
        if (kids) hits.push(...findInjected(p.toString('latin1'), depth - 1));
      } catch {
        // not a directory
      }
    }
  }
  return hits;
}

describe('names: hostile and non-UTF-8 names are synced under their real bytes, nothing runs', () => {
  let m: Mirror;
  // A non-UTF-8 name that exists before the start (never seen by the watcher).
  const PRE = cat('pre-', B(0xff), '.txt');
  before(async () => {
    m = await startMirror({ seed: (dir) => mkdir(under(dir, 'old')).then(() => writeFile(under(dir, 'old', PRE), 'from before')) });
    await mkdir(under(m.dst, 'old'));
    await writeFile(under(m.dst, 'old', PRE), 'from before');
  });
  after(async () => m?.stop());
  const src = (...parts: Array<string | Buffer>) => under(m.src, ...parts);

  it('creates files with every kind of name, at the top and one level down', async () => {
    await mkdir(src('sub'));
    for (const n of [...HOSTILE, ...BYSTANDERS.map((s) => Buffer.from(s))]) {
      await writeFile(src(n), cat('content of ', n));
      await writeFile(src('sub', n), cat('sub content of ', n));
    }
    await converge(m);
  });

  it('modifies them', async () => {
    for (const n of HOSTILE) await writeFile(src(n), cat('modified ', n, ' '.repeat(HOSTILE.indexOf(n))));
    await converge(m);
  });

  it('renames each hostile name to another hostile name', async () => {
    for (const n of HOSTILE) await rename(src(n), src(cat(n, ' (renamed $(id) `id`)')));
    await converge(m);
    for (const n of HOSTILE) await rename(src(cat(n, ' (renamed $(id) `id`)')), src(n));
    await converge(m);
  });

  it('deletes wildcard-looking names without touching the files their patterns match', async () => {
    for (const n of ['star*.txt', 'q?mark.txt', '[ab].txt']) {
      await rm(src(n));
      await rm(src('sub', n));
    }
    await converge(m);
    for (const s of BYSTANDERS) assert.ok(readdirSync(m.dst).includes(s), `${s} must stay on the remote`);
  });

  it('handles directories with hostile and non-UTF-8 names (mkdir, write inside, rename, rm -rf)', async () => {
    const dirs = [cat('dir $(touch INJECTED)'), cat('dir\nwith newline'), cat('dir-', B(0xff)), cat('-dir'), cat('dir [x]*?'), cat('#dir'), cat(';dir')];
    for (const d of dirs) {
      await mkdir(src(d));
      await writeFile(src(d, 'inner "x" `y` $z.txt'), 'inside');
      await writeFile(src(d, cat('bad-', B(0xfe))), 'inside, not UTF-8');
    }
    await converge(m);
    for (const d of dirs) await writeFile(src(d, 'later.txt'), 'written after the directory was pushed');
    await converge(m);
    for (const d of dirs) await rename(src(d), src(cat(d, '-moved ', B(0xfa))));
    await converge(m);
    for (const d of dirs) await writeFile(src(cat(d, '-moved ', B(0xfa)), 'after-rename.txt'), 'edited under the new name');
    await converge(m);
    for (const d of dirs) await rm(src(cat(d, '-moved ', B(0xfa))), { recursive: true });
    await converge(m);
  });

  it('deletes one of two non-UTF-8 names that look the same once decoded, and keeps the other', async () => {
    // Both decode to "twin-\uFFFD": the watcher reports one mangled path for either.
    for (const sub of [[], ['sub']]) {
      await writeFile(src(...sub, cat('twin-', B(0xff))), 'ff');
      await writeFile(src(...sub, cat('twin-', B(0xfe))), 'fe');
    }
    await converge(m);
    await rm(src(cat('twin-', B(0xff))));
    await rm(src('sub', cat('twin-', B(0xfe))));
    await converge(m);
  });

  it('deletes a non-UTF-8 name that existed before the start (in a subdirectory)', async () => {
    await converge(m);
    await rm(src('old', PRE));
    await converge(m);
  });

  it('deletes every hostile name', async () => {
    for (const n of HOSTILE) {
      await rm(src(n), { force: true });
      await rm(src('sub', n), { force: true });
    }
    await converge(m);
  });

  it('never executed anything: no file named INJECTED anywhere', () => {
    const places = [m.base, path.dirname(m.dst), m.daemon!.dir, REPO_ROOT, os.tmpdir(), os.homedir(), '/'];
    for (const p of places) assert.deepEqual(findInjected(p, p === '/' || p === os.tmpdir() || p === REPO_ROOT || p === os.homedir() ? 0 : 6), [], `INJECTED found under ${p}`);
  });
});
