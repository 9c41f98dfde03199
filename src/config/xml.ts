// The XML layer of the confxml.xml reader: turns the latin1-decoded file text
// into a small element tree, with sersync2's parser quirks (spec §2.1):
// element and attribute names are case-insensitive, values are exact, text
// (even stray `# …` lines, inside or outside <head>) and comments are ignored,
// `<?xml?>` is optional, the standard entities are decoded in attribute values.
//
// fast-xml-parser does the validation (for line/column of errors) and the
// parsing. It is strict where sersync2's parser is lenient, so a same-length
// pre-pass first rewrites the text: element names are lower-cased (so that
// `<Head>…</head>` closes) and every text character is blanked (so stray text
// and bare `&` are accepted). Same length, same newlines → the validator's
// line/column numbers stay true for the original file.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  /** Lower-cased element name. */
  name: string;
  /** Attributes in document order, names as written, values entity-decoded. */
  attrs: Array<[string, string]>;
  children: XmlElement[];
  /** 1-based position of the `<` of the start tag. */
  line: number;
  col: number;
}

/** A malformed document. `detail` is sersync2's error text (XMLNode::getError). */
export class XmlSyntaxError extends Error {
  constructor(
    /** English explanation for sersync-ts' one-line message. */
    readonly reason: string,
    /** sersync2's wording, e.g. `Warning: Unmatched end tag`. */
    readonly detail: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(reason);
    this.name = 'XmlSyntaxError';
  }
}

/** First attribute whose name matches case-insensitively (strcasecmp), or undefined. */
export function attr(el: XmlElement, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of el.attrs) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** First child element with this (case-insensitive) name. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  const lower = name.toLowerCase();
  return el.children.find((c) => c.name === lower);
}

/** All child elements with this (case-insensitive) name, in order. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  const lower = name.toLowerCase();
  return el.children.filter((c) => c.name === lower);
}

// --- entities -------------------------------------------------------------

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Decode the standard entities. A character reference above 0xFF becomes its
 * UTF-8 bytes, so the result stays a byte string (one char per byte). Unknown
 * entities are left as written.
 */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (whole, ent: string) => {
    if (ent[0] !== '#') return NAMED[ent]!;
    const code = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
    if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return whole;
    if (code <= 0xff) return String.fromCharCode(code);
    return Buffer.from(String.fromCodePoint(code), 'utf8').toString('latin1');
  });
}

// --- pre-pass ---------------------------------------------------------------

const NAME_CHAR = /[^\s/>=<"']/;

interface OpenTag {
  name: string;
  pos: number;
}

interface Normalised {
  text: string;
  /** Tags still open at the end of the file (for a clear "unclosed tag" message). */
  open: OpenTag[];
}

/**
 * Lower-case element names and blank text, keeping length and newlines.
 * Stops rewriting at the first thing it does not understand and leaves the
 * rest as is: the validator then reports that place.
 */
function normalise(src: string): Normalised {
  const out = src.split('');
  const open: OpenTag[] = [];
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n' && out[k] !== '\r') out[k] = ' ';
  };
  const lowerName = (from: number): number => {
    let k = from;
    while (k < src.length && NAME_CHAR.test(src[k]!)) {
      out[k] = src[k]!.toLowerCase();
      k++;
    }
    return k;
  };
  let i = 0;
  while (i < src.length) {
    if (src[i] !== '<') {
      const next = src.indexOf('<', i);
      const end = next < 0 ? src.length : next;
      blank(i, end);
      i = end;
      continue;
    }
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i + 4);
      if (end < 0) break;
      i = end + 3;
      continue;
    }
    if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i);
      if (end < 0) break;
      i = end + 3;
      continue;
    }
    if (src.startsWith('<?', i)) {
      // <?xml …?> and other processing instructions mean nothing here (bytes
      // are passed through whatever the declared encoding); blank them so the
      // validator does not insist on the declaration being at offset 0.
      const end = src.indexOf('?>', i);
      if (end < 0) break;
      blank(i, end + 2);
      i = end + 2;
      continue;
    }
    if (src.startsWith('<!', i)) {
      // DOCTYPE and friends, possibly with an internal subset [ … ].
      const bracket = src.indexOf('[', i);
      const gt = src.indexOf('>', i);
      if (gt < 0) break;
      if (bracket >= 0 && bracket < gt) {
        const end = src.indexOf(']>', bracket);
        if (end < 0) break;
        i = end + 2;
      } else {
        i = gt + 1;
      }
      continue;
    }
    const start = i;
    if (src[i + 1] === '/') {
      const nameEnd = lowerName(i + 2);
      const gt = src.indexOf('>', nameEnd);
      if (gt < 0) break;
      const name = src.slice(i + 2, nameEnd).toLowerCase();
      const top = open[open.length - 1];
      if (top && top.name === name) open.pop();
      i = gt + 1;
      continue;
    }
    const nameEnd = lowerName(i + 1);
    const name = src.slice(i + 1, nameEnd).toLowerCase();
    // Attributes: skip quoted values so that a '>' inside one is not the end.
    let k = nameEnd;
    let selfClosing = false;
    let ok = false;
    while (k < src.length) {
      const c = src[k]!;
      if (c === '"' || c === "'") {
        const q = src.indexOf(c, k + 1);
        if (q < 0) break;
        k = q + 1;
        continue;
      }
      if (c === '>') {
        selfClosing = src[k - 1] === '/';
        ok = true;
        break;
      }
      if (c === '<') break;
      k++;
    }
    if (!ok) break;
    if (!selfClosing) open.push({ name, pos: start });
    i = k + 1;
  }
  return { text: out.join(''), open };
}

// --- positions --------------------------------------------------------------

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function positionOf(starts: number[], index: number): { line: number; col: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= index) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: index - starts[lo]! + 1 };
}

// --- validation errors → sersync2 detail + English reason -----------------------

// sersync2's parser accepts several top-level elements (it looks for the first
// <head> among them); the validator does not, so the document is validated
// and parsed inside a synthetic root. Only line 1 columns shift.
const WRAP = 'x-sersync-ts-document';
const WRAP_OPEN = `<${WRAP}>`;
const WRAP_CLOSE = `</${WRAP}>`;

function unshift(line: number, col: number): { line: number; col: number } {
  return { line, col: line === 1 ? Math.max(1, col - WRAP_OPEN.length) : col };
}

function unclosedAtEnd(open: OpenTag[], starts: number[]): { reason: string; detail: string; at?: { line: number; col: number } } {
  const inner = open[open.length - 1];
  if (!inner) return { detail: 'Warning: Unmatched end tag', reason: 'an element is not closed at the end of the file — fix the XML' };
  return {
    detail: 'Warning: Unmatched end tag',
    reason: `unclosed tag <${inner.name}> at the end of the file — fix the XML (every element must be closed: add </${inner.name}> or write <${inner.name} …/>)`,
    at: positionOf(starts, inner.pos),
  };
}

function explain(msg: string, open: OpenTag[], starts: number[]): { reason: string; detail: string; at?: { line: number; col: number } } {
  let m: RegExpExecArray | null;
  if ((m = /^Expected closing tag '([^']*)' \(opened in line (\d+), col (\d+)\) instead of closing tag '([^']*)'/.exec(msg))) {
    if (m[4] === WRAP) return unclosedAtEnd(open, starts);
    if (m[1] === WRAP) {
      return { detail: 'Error: Unmatched end tag', reason: `closing tag </${m[4]}> has no opening tag — remove it or add the missing <${m[4]}>` };
    }
    const opened = unshift(Number(m[2]), Number(m[3]));
    return {
      detail: 'Warning: Unmatched end tag',
      reason: `unclosed tag <${m[1]}> (opened at line ${opened.line}, col ${opened.col}) before </${m[4]}> — fix the XML (every element must be closed: <${m[1]}>…</${m[1]}> or <${m[1]} …/>)`,
    };
  }
  if ((m = /^Closing tag '([^']*)' has not been opened/.exec(msg))) {
    return { detail: 'Error: Unmatched end tag', reason: `closing tag </${m[1]}> has no opening tag — remove it or add the missing <${m[1]}>` };
  }
  if (/^Unclosed tag '|^Invalid '\[/.test(msg)) return unclosedAtEnd(open, starts);
  if (/have open quote/.test(msg)) {
    return { detail: 'Warning: Missing end of quote', reason: `${msg.replace(/\.$/, '')} — close the attribute value with the same quote it starts with` };
  }
  if (/^Attribute '.*' is without value|^boolean attribute/.test(msg)) {
    return { detail: 'Error: Unexpected token found', reason: `${msg.replace(/\.$/, '')} — write attributes as name="value"` };
  }
  if (/^Multiple possible root nodes/.test(msg)) {
    return { detail: 'Error: Unexpected token found', reason: 'more than one top-level element — keep everything inside one <head>…</head>' };
  }
  return { detail: 'Error: Unexpected token found', reason: `${msg.replace(/\.$/, '')} — fix the XML` };
}

// --- parse --------------------------------------------------------------------

type FxpNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  processEntities: false, // decoded by decodeEntities: fewer surprises, byte-safe
  captureMetaData: true,
  allowBooleanAttributes: false,
});
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

function convert(nodes: FxpNode[], starts: number[]): XmlElement[] {
  const result: XmlElement[] = [];
  for (const node of nodes) {
    const key = Object.keys(node).find((k) => k !== ':@');
    if (key === undefined || key.startsWith('#') || key.startsWith('?') || key.startsWith('!')) continue;
    const rawAttrs = (node[':@'] ?? {}) as Record<string, unknown>;
    const attrs: Array<[string, string]> = Object.entries(rawAttrs).map(([k, v]) => [k, decodeEntities(String(v))]);
    const meta = (node as Record<symbol, { startIndex?: number } | undefined>)[META];
    const pos = positionOf(starts, Math.max(0, (meta?.startIndex ?? 0) - WRAP_OPEN.length));
    const kids = Array.isArray(node[key]) ? convert(node[key] as FxpNode[], starts) : [];
    result.push({ name: key.toLowerCase(), attrs, children: kids, line: pos.line, col: pos.col });
  }
  return result;
}

/**
 * Parse the whole document (already decoded as latin1) and return its
 * top-level elements. Throws XmlSyntaxError for malformed XML.
 */
export function parseXmlDocument(text: string): XmlElement[] {
  if (text.length === 0) throw new XmlSyntaxError('the file is empty', 'Error: No XML data', 0, 0);
  const { text: norm, open } = normalise(text);
  const starts = lineStarts(text);
  const wrapped = WRAP_OPEN + norm + WRAP_CLOSE;
  const v = XMLValidator.validate(wrapped, { allowBooleanAttributes: false });
  if (v !== true) {
    const e = explain(v.err.msg, open, starts);
    const at = e.at ?? unshift(v.err.line ?? 0, v.err.col ?? 0);
    throw new XmlSyntaxError(e.reason, e.detail, at.line, at.col);
  }
  let parsed: FxpNode[];
  try {
    parsed = parser.parse(wrapped) as FxpNode[];
  } catch (err) {
    // The parser is stricter than the validator in a few corners (e.g. `<!x>`).
    const msg = (err as Error).message.split('\n')[0]!;
    const m = /at position (\d+)/.exec(msg);
    const at = m ? positionOf(starts, Math.max(0, Number(m[1]) - WRAP_OPEN.length)) : { line: 0, col: 0 };
    throw new XmlSyntaxError('malformed markup here (a stray "<!" or similar) — fix the XML', 'Error: Unexpected token found', at.line, at.col);
  }
  const doc = convert(parsed, starts);
  return doc[0]?.children ?? [];
}
