// rsync filter patterns that match exactly one literal name (spec §9.18 fixed).
//
// sersync2's delete form passes names as `--include=<name>`; rsync reads them
// as patterns, so a name like `a*` also matched (and deleted) `ab`, `a1`, …
// rsync's rules (exclude.c, checked with rsync 3.5.0):
// - a pattern containing any of `*?[` is a wildcard pattern, where `\` escapes
//   the next character; a pattern without them is compared literally, and
//   there a `\` is an ordinary character. So escape `*?[\` only when the name
//   contains `*?[`; otherwise leave it alone (escaping `a\b` would break it).
// - on the command line `--include=`/`--exclude=` accept the old prefixes:
//   a value starting with "- " or "+ " is a rule of that type, and "!" clears
//   the list. For a pattern starting with "- ", "+ " or "!" we add a leading
//   `/` (anchored at the transfer root, where our relative paths start): no
//   prefix is read then, and it still names the same top-level item.
// - spaces (leading/trailing) and newlines are kept as part of the pattern.
import type { BytePath } from '../util/bytepath.js';

const WILD = /[*?[]/;

/** True when rsync treats `pattern` as a wildcard pattern. */
export function isWildPattern(pattern: BytePath): boolean {
  return WILD.test(pattern);
}

/**
 * An rsync include/exclude pattern that matches exactly `literal` (a path
 * relative to the transfer root, optionally ending in '/'), plus `suffix`
 * appended unescaped (e.g. '/***'). A suffix with wildcards makes the whole
 * pattern a wildcard pattern, so the literal part is escaped then too.
 */
export function literalPattern(literal: BytePath, suffix: BytePath = ''): BytePath {
  const wild = isWildPattern(literal) || isWildPattern(suffix);
  let p = wild ? literal.replace(/[*?[\\]/g, (c) => `\\${c}`) : literal;
  if (p.startsWith('- ') || p.startsWith('+ ') || p.startsWith('!')) {
    p = `/${p}`;
  }
  return p + suffix;
}

/**
 * Inverse of literalPattern for patterns we (or sersync2) wrote: drop a
 * leading anchor '/', undo `\` escapes in wildcard patterns. sersync2's own
 * unescaped patterns (e.g. `a*`) come back unchanged, which is the name it meant.
 */
export function patternLiteral(pattern: BytePath): BytePath {
  let p = pattern.startsWith('/') ? pattern.slice(1) : pattern;
  if (isWildPattern(p)) p = p.replace(/\\(.)/gs, '$1');
  return p;
}
