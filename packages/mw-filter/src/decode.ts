/**
 * A URI with its percent-encodings decoded, as a server that reads it is
 * likely to: `file:///%65tc/passwd` reaches `file:///etc/passwd`, and
 * `file:///srv/%2E%2E/etc` reaches `file:///srv/../etc`. Decoded up to three
 * times (a server may decode twice); a sequence that is not valid UTF-8 is
 * decoded byte by byte for ASCII and left as it is otherwise.
 *
 * @example
 * decodedUri('file:///%2565tc/passwd') // 'file:///etc/passwd'
 */
export function decodedUri(uri: string): string {
  let out = uri;
  for (let i = 0; i < 3 && out.includes('%'); i++) {
    const next = decodeOnce(out);
    if (next === out) break;
    out = next;
  }
  return out;
}

function decodeOnce(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%([0-7][0-9a-fA-F])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}
