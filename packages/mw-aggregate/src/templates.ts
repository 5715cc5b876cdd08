/**
 * Reads a URI template (RFC 6570) as a pattern, well enough to tell which
 * upstream a concrete URI came from: `{var}` matches one path segment,
 * every other expression (`{+var}`, `{/var}`, `{?q}`, …) matches anything.
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
