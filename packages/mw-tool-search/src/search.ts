import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';
import type { Tool } from './tools.js';

/** The distinct words of a query that are searched; the rest are ignored. */
export const MAX_QUERY_WORDS = 32;

/** Words too common to say anything about which tool is meant. */
const STOP = new Set(
  'a an and are as at be by can do does for from get how i in into is it its me my of on or our so that the this to using use via we what when which with you your'.split(
    ' ',
  ),
);

/**
 * Tool names use a handful of verbs (create, get, list, update, delete);
 * people and models ask with others. A query word here also looks for the
 * verbs it stands for; the word itself is kept, so `send_email` still wins
 * for "send".
 */
const VERBS: Readonly<Record<string, readonly string[]>> = {
  add: ['create'],
  new: ['create'],
  make: ['create'],
  post: ['create'],
  open: ['create'],
  start: ['create'],
  remove: ['delete'],
  erase: ['delete'],
  drop: ['delete'],
  cancel: ['delete'],
  fetch: ['get'],
  show: ['get'],
  read: ['get'],
  find: ['list', 'search'],
  search: ['list'],
  edit: ['update'],
  change: ['update'],
  modify: ['update'],
  set: ['update'],
};

/**
 * The words of a name or a sentence: split on anything that is not a letter
 * or digit, and a camelCase word also at its humps, so `github__createIssue`
 * and `create-issue` both give `create` and `issue`.
 */
export function words(text: string): string[] {
  return text
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .flatMap((w) => {
      // `GitHub` is also `github`, and `createIssue` is also `create` and `issue`.
      const parts = w
        .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
        .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
        .split(' ');
      return parts.length > 1 ? [w, ...parts] : [w];
    });
}

/** One word as the index keeps it: lower case and stemmed (`issues` and `issue` meet); stop words dropped. */
function term(word: string): string | null {
  const lower = word.toLowerCase();
  if (STOP.has(lower)) return null;
  return lower.length > 2 ? stemmer(lower) : lower;
}

/** The parameter names of a tool's input schema, as words: `city`, `start date`. */
function parameterWords(tool: Tool): string {
  const properties = tool.inputSchema?.properties;
  return properties !== null && typeof properties === 'object' ? Object.keys(properties).slice(0, 100).join(' ') : '';
}

/** What the index keeps of a tool: only its words, as strings. */
interface Document {
  id: number;
  name: string;
  title: string;
  description: string;
  params: string;
}

/**
 * How much of each text field is indexed: descriptions longer than this say
 * what a tool is for in their first lines, and the bound keeps an upstream's
 * 10 MB description from making the index (kept across sessions) that big.
 */
export const INDEXED_CHARS = 4000;

const text = (value: unknown): string => (typeof value === 'string' ? value.slice(0, INDEXED_CHARS) : '');

/** A query word as searched: its term, and the verbs it stands for. */
function queryTerms(word: string): string[] | null {
  const own = term(word);
  if (own === null) return null;
  const verbs = VERBS[word.toLowerCase()];
  return verbs === undefined ? [own] : [own, ...verbs.filter((v) => v !== own)];
}

export interface Hit {
  name: string;
  score: number;
}

/**
 * A BM25 index (MiniSearch's BM25+) over a catalog of tools: name, title,
 * description and parameter names, a name counting most. Built once per
 * distinct catalog; searches are cheap.
 */
export class ToolIndex {
  private readonly index: MiniSearch<Document>;

  constructor(tools: readonly Tool[]) {
    this.index = new MiniSearch({
      idField: 'id',
      fields: ['name', 'title', 'description', 'params'],
      storeFields: ['name'],
      tokenize: words,
      processTerm: term,
      searchOptions: {
        boost: { name: 3, title: 2, description: 1, params: 0.5 },
        // A word's start finds longer words (`calend` → `calendar`), and a slip of one letter in six is forgiven.
        prefix: (w) => w.length >= 4,
        fuzzy: (w) => (w.length >= 6 ? 0.17 : false),
        weights: { fuzzy: 0.3, prefix: 0.5 },
        combineWith: 'OR',
        processTerm: queryTerms,
      },
    });
    this.index.addAll(tools.map((t, id) => ({ id, name: text(t.name), title: text(t.title), description: text(t.description), params: parameterWords(t) })));
  }

  /**
   * The best `limit` tools for `query`, best first; nothing for a query with
   * no word the catalog knows. A word said twice counts once, and only the
   * first `MAX_QUERY_WORDS` distinct words are searched: each costs a fuzzy
   * walk of the index, and a query is not a document.
   */
  search(query: string, limit: number): Hit[] {
    const distinct = [...new Set(words(query).map((w) => w.toLowerCase()))].slice(0, MAX_QUERY_WORDS);
    return this.index
      .search(distinct.join(' '))
      .slice(0, limit)
      .map((r) => ({ name: String(r.name), score: Math.round(r.score * 100) / 100 }));
  }
}
