// How sersync's eight <inotify> toggles (spec §3.1) apply to what
// @parcel/watcher reports (parcel-watcher-linux.md §2.3, §2.6, §5).
//
// @parcel/watcher only says create / update / delete, with no isDir flag, no
// IN_CLOSE_WRITE and no way to tell a write from a chmod; and it coalesces
// (create+update → create, delete+create → update, update+delete → delete).
// So the hint is treated as "something happened to this path", intake lstats
// the path, and decide() maps hint + current state + toggles to one action.
// A toggle counts when it could have produced (part of) the coalesced hint.
//
// | state                 | hint   | action   | when any of these toggles is on                            |
// |-----------------------|--------|----------|------------------------------------------------------------|
// | missing               | any    | delete   | delete                                                     |
// | file, symlink, other  | create | push     | createFile, closeWrite, modify, moveTo, attrib             |
// | file, symlink, other  | update | push     | createFile, closeWrite, modify, moveTo, attrib             |
// | file, symlink, other  | delete | push     | the five above, delete, moveFrom                           |
// | dir                   | create | pushDir  | createFolder, moveTo                                       |
// | dir                   | update | pushDir  | createFolder, moveTo, attrib                               |
// | dir                   | delete | pushDir  | createFolder, moveTo, delete, moveFrom                     |
// | anything else         |        | ignore   |                                                            |
//
// Why:
// - Files: a new file's write, a moved-in file and a chmod all arrive as
//   create/update and cannot be told apart, so any content toggle pushes.
//   rsync's quick check makes a push of an unchanged file cheap. (This also
//   syncs symlinks/FIFOs in real time, which sersync2 missed with the stock
//   toggles: spec §9 item 9.)
// - attrib pushes (sersync2 sent a delete-form command, which transfers a path
//   that still exists; spec §9 item 6: treat attrib as sync-form).
// - Directories are pushed recursively: their content may never have produced
//   events (@parcel/watcher does not scan a new directory), and an `update` on
//   a directory can be a delete+recreate coalesced by the watcher.
// - A `delete` hint for a path that exists again: it was deleted and
//   recreated. sersync2's delete-form command transfers a path that exists, so
//   delete/moveFrom push it too, as does anything that recreated it.
// - Missing: deleted on the remote only with `delete` on. With `delete` off
//   sersync2 never removes anything remotely, not even after a moveFrom (its
//   delete-form without --delete sends nothing for a missing path).
import type { InotifyToggles } from '../config/types.js';

export type HintKind = 'create' | 'update' | 'delete';
export type PathState = 'file' | 'dir' | 'symlink' | 'other' | 'missing';
export type Decision = 'push' | 'pushDir' | 'delete' | 'ignore';

function anyContentToggle(t: InotifyToggles): boolean {
  return t.createFile || t.closeWrite || t.modify || t.moveTo || t.attrib;
}

export function decide(kind: HintKind, state: PathState, t: InotifyToggles): Decision {
  switch (state) {
    case 'missing':
      return t.delete ? 'delete' : 'ignore';
    case 'dir': {
      let on = t.createFolder || t.moveTo;
      if (kind === 'update') on ||= t.attrib;
      else if (kind === 'delete') on ||= t.delete || t.moveFrom;
      return on ? 'pushDir' : 'ignore';
    }
    case 'file':
    case 'symlink':
    case 'other': {
      let on = anyContentToggle(t);
      if (kind === 'delete') on ||= t.delete || t.moveFrom;
      return on ? 'push' : 'ignore';
    }
  }
}
