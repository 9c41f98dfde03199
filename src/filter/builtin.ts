// sersync2's built-in drop rules (spec §3.3, "Built-in drop rules"): events
// for hidden files, editor backups and vim's write probe are never synced in
// real time. They apply to non-directories only; hidden *directories* are
// kept (and watched). Full syncs are not affected (spec §9 item 9).
import type { BytePath } from '../util/bytepath.js';

/** vim's "can I write here?" probe file name. */
const VIM_PROBE = '4913';

/**
 * True when sersync2 would drop an event for the entry `name` (the last path
 * component, as raw bytes) before any filter or queue sees it.
 */
export function builtinDrop(name: BytePath, isDir: boolean): boolean {
  if (isDir) return false;
  return name.startsWith('.') || name.endsWith('~') || name === VIM_PROBE;
}
