/**
 * Reads a URI template (RFC 6570) as a pattern for the concrete URIs it
 * expands to: `{var}` matches within one path segment, every other
 * expression (`{+var}`, `{/var}`, `{?q}`, …) matches anything. It is not a
 * full RFC 6570 matcher, only good enough to tell which template a URI came
 * from: mw-aggregate routes a read by it, mw-filter refuses a URI that
 * expands a hidden template by it, and both must read a template the same way.
 *
 * @example
 * templatePattern('db://{table}/rows').test('db://users/rows') // true
 * templatePattern('db://{table}/rows').test('db://a/b/rows')   // false
 * templatePattern('file:///{+path}').test('file:///a/b.txt')   // true
 */
export function templatePattern(template: string): RegExp {
  let source = '';
  let last = 0;
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    source += escape(template.slice(last, m.index));
    const op = m[1]?.charAt(0) ?? '';
    source += /[A-Za-z0-9_%]/.test(op) ? '[^/?#]*' : '.*';
    last = m.index + m[0].length;
  }
  source += escape(template.slice(last));
  return new RegExp(`^${source}$`);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
