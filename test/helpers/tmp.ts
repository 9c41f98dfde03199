// Temporary directories for tests.
//
//   makeTempDir(prefix: string): Promise<string>
//     A fresh directory under os.tmpdir() named `sersync-<prefix>-XXXXXX` (mode 0700),
//     as an absolute path. Removed automatically when the test process exits.
//   removeTempDirs(): Promise<void>
//     Removes every directory made so far now (e.g. in an `after()` hook).
//
// Set SERSYNC_TEST_KEEP_TMP=1 to keep the directories for a post-mortem.
import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made = new Set<string>();
let exitHookInstalled = false;

function keep(): boolean {
  return process.env.SERSYNC_TEST_KEEP_TMP === '1';
}

/** Creates a temporary directory that is removed when the test process exits. */
export async function makeTempDir(prefix: string): Promise<string> {
  const safe = prefix.replace(/[^A-Za-z0-9._-]/g, '_') || 'tmp';
  const dir = await mkdtemp(path.join(os.tmpdir(), `sersync-${safe}-`));
  made.add(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // 'exit' handlers must be synchronous; this also runs under --test-force-exit.
    process.on('exit', () => {
      if (keep()) return;
      for (const d of made) {
        try {
          rmSync(d, { recursive: true, force: true });
        } catch {
          // best effort: a leftover temp dir must not turn a passing run into a crash
        }
      }
    });
  }
  return dir;
}

/** Removes all temporary directories made so far (no-op with SERSYNC_TEST_KEEP_TMP=1). */
export async function removeTempDirs(): Promise<void> {
  if (keep()) return;
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}
