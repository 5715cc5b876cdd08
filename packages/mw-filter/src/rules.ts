import { Minimatch, type MinimatchOptions } from 'minimatch';
import { FILTER_KINDS, type FilterKind, type FilterOptions, type FilterRule } from './options.js';

/**
 * Names are flat strings, not paths: `*` should match every character of a
 * name, `/` included (old servers use it). Minimatch treats `/` as a path
 * separator, so in names and name patterns it is swapped for a character
 * from Unicode's private use area before matching.
 */
const SLASH = '\uE000';
const flat = (s: string): string => s.replaceAll('/', SLASH);

const common: MinimatchOptions = {
  // `deny: ["*"]` must hide `.hidden` too: a dot is not special here.
  dot: true,
  // `!` and `#` are literal; there are allow and deny lists for negation.
  nonegate: true,
  nocomment: true,
  // The same answer on every platform: `\` escapes, never separates.
  platform: 'linux',
};

/** URIs are path-like: `*` stops at `/`, `**` crosses it, and `file:///` keeps its three slashes. */
const uriOptions: MinimatchOptions = { ...common, preserveMultipleSlashes: true };

const isUri = (kind: FilterKind): boolean => kind === 'resources' || kind === 'resourceTemplates';

/** A compiled glob for one kind of thing: `test` says whether a name or URI matches. */
export interface Glob {
  readonly pattern: string;
  test(value: string): boolean;
}

/**
 * Compiles one glob for `kind`: names flat (`*` matches any run of
 * characters), URIs path-like (`*` stops at `/`, `**` crosses it).
 * Minimatch reads any string as a glob (an unclosed `[` is literal).
 */
export function compileGlob(kind: FilterKind, pattern: string): Glob {
  const uri = isUri(kind);
  const mm = new Minimatch(uri ? pattern : flat(pattern), uri ? uriOptions : common);
  return { pattern, test: (value) => mm.match(uri ? value : flat(value)) };
}

interface CompiledRule {
  allow: Glob[];
  deny: Glob[];
}

type CompiledKinds = Partial<Record<FilterKind, CompiledRule>>;

function compileRule(kind: FilterKind, rule: FilterRule | undefined): CompiledRule | undefined {
  if (rule === undefined) return undefined;
  const compile = (list: string[] | undefined): Glob[] => (list ?? []).map((p) => compileGlob(kind, p));
  return { allow: compile(rule.allow), deny: compile(rule.deny) };
}

function compileKinds(source: Partial<Record<FilterKind, FilterRule>>): CompiledKinds {
  const out: CompiledKinds = {};
  for (const kind of FILTER_KINDS) {
    const rule = compileRule(kind, source[kind]);
    if (rule !== undefined) out[kind] = rule;
  }
  return out;
}

const matchesDeny = (rule: CompiledRule | undefined, value: string): boolean => rule?.deny.some((g) => g.test(value)) === true;

const passesAllow = (rule: CompiledRule | undefined, value: string): boolean =>
  rule === undefined || rule.allow.length === 0 || rule.allow.some((g) => g.test(value));

/**
 * Every rule of a filter, compiled once. A value is allowed when it passes
 * the global rules and, when its upstream is known, that upstream's rules.
 */
export class RuleSet {
  private readonly global: CompiledKinds;
  private readonly scoped = new Map<string, CompiledKinds>();

  constructor(options: FilterOptions) {
    this.global = compileKinds(options);
    for (const [name, rules] of Object.entries(options.upstreams ?? {})) {
      this.scoped.set(name, compileKinds(rules));
    }
  }

  /** The upstreams that have rules of their own, in configuration order. */
  get upstreams(): string[] {
    return [...this.scoped.keys()];
  }

  /** Is `value` (a name, URI or URI template) of `kind` from `upstream` exposed? */
  allows(kind: FilterKind, upstream: string | undefined, value: string): boolean {
    return !this.denies(kind, upstream, value) && this.admits(kind, upstream, value);
  }

  /** Does a deny rule (global, or `upstream`'s when known) match `value`? */
  denies(kind: FilterKind, upstream: string | undefined, value: string): boolean {
    const own = upstream === undefined ? undefined : this.scoped.get(upstream);
    return matchesDeny(this.global[kind], value) || matchesDeny(own?.[kind], value);
  }

  /** Do the allow lists (global, and `upstream`'s when known) let `value` in? */
  admits(kind: FilterKind, upstream: string | undefined, value: string): boolean {
    const own = upstream === undefined ? undefined : this.scoped.get(upstream);
    return passesAllow(this.global[kind], value) && passesAllow(own?.[kind], value);
  }

  /**
   * An item known by several spellings (an alias URI and the URI it reaches):
   * hidden when any spelling is denied, shown when some spelling is allowed.
   */
  allowsAny(kind: FilterKind, spellings: ReadonlyArray<{ value: string; upstream: string | undefined }>): boolean {
    if (spellings.some((s) => this.denies(kind, s.upstream, s.value))) return false;
    return spellings.some((s) => this.admits(kind, s.upstream, s.value));
  }

  /** Are there rules on resources at all (global or any upstream's)? Then a URI the filter cannot be sure of is refused. */
  get judgesResources(): boolean {
    return this.global.resources !== undefined || [...this.scoped.values()].some((k) => k.resources !== undefined);
  }

  /** Are there rules on resource templates at all? Then a read must be checked against the templates it expands. */
  get judgesTemplates(): boolean {
    return this.global.resourceTemplates !== undefined || [...this.scoped.values()].some((k) => k.resourceTemplates !== undefined);
  }
}
