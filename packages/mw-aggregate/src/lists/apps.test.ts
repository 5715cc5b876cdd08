import { afterEach, describe, expect, it } from 'vitest';
import { memoryUpstream } from '@mcproxy/testing';
import { start, stop, toolServer } from '../../test/servers.js';

afterEach(stop);

const VIEW = 'ui://widget/view.html';

/** An MCP App server as hosts meet them: its tool and its call result both name the view, which it serves. */
const appServer = (name: string) =>
  toolServer(name, [], (s) => {
    s.registerTool('show', { description: `the ${name} view`, _meta: { ui: { resourceUri: VIEW }, 'ui/resourceUri': VIEW } }, async () => ({
      content: [{ type: 'text' as const, text: name }],
      _meta: { ui: { resourceUri: VIEW }, 'ui/resourceUri': VIEW },
    }));
    s.registerResource('view', VIEW, { mimeType: 'text/html;profile=mcp-app' }, async () => ({
      contents: [{ uri: VIEW, mimeType: 'text/html;profile=mcp-app', text: `<p>${name}</p>` }],
    }));
  });

type Meta = { ui?: { resourceUri?: string }; 'ui/resourceUri'?: string } | undefined;

describe('MCP Apps behind two upstreams that name the same view', () => {
  it('names in a tools/call result the same ui:// URI the list names, one the client can read back', async () => {
    const client = await start([memoryUpstream('a', appServer('a')), memoryUpstream('b', appServer('b'))]);
    const listed = (await client.listTools()).tools.find((t) => t.name === 'b__show')?._meta as Meta;
    const result = await client.callTool({ name: 'b__show', arguments: {} });
    const meta = result._meta as Meta;
    expect(listed?.ui?.resourceUri).toMatch(/^ui:\/\/mcproxy\/b\//);
    expect(meta?.ui?.resourceUri).toBe(listed?.ui?.resourceUri);
    expect(meta?.['ui/resourceUri']).toBe(listed?.ui?.resourceUri);
    const read = await client.readResource({ uri: meta!.ui!.resourceUri! });
    expect(read.contents[0]).toMatchObject({ uri: meta?.ui?.resourceUri, text: '<p>b</p>' });
  });

  it('leaves a view only one upstream has as the server wrote it', async () => {
    const client = await start([memoryUpstream('a', appServer('a')), memoryUpstream('c', toolServer('c', ['other']))]);
    const result = await client.callTool({ name: 'show', arguments: {} });
    expect((result._meta as Meta)?.ui?.resourceUri).toBe(VIEW);
  });
});
