import { describe, expect, it } from 'vitest';
import { methodLabel, outcomeOf, targetOf, ToolLabels } from './labels.js';

describe('label values', () => {
  it('keeps methods to MCP names and tool names to a bounded set', () => {
    expect(methodLabel('tools/call')).toBe('tools/call');
    expect(methodLabel('x/anything-a-client-sends')).toBe('other');
    const tools = new ToolLabels(2);
    expect([tools.of('a'), tools.of('b'), tools.of('c'), tools.of('a'), tools.of(undefined), tools.of('x'.repeat(200))]).toEqual([
      'a',
      'b',
      'other',
      'a',
      'unknown',
      'other',
    ]);
  });

  it('says what a request names and how it ended', () => {
    expect(targetOf('tools/call', { name: 'echo' })).toBe('echo');
    expect(targetOf('resources/read', { uri: 'file:///a' })).toBe('file:///a');
    expect(targetOf('resources/subscribe', { uri: 'file:///b' })).toBe('file:///b');
    expect(targetOf('ping', undefined)).toBeUndefined();
    expect(outcomeOf({ result: {} })).toBe('ok');
    expect(outcomeOf({ result: { isError: true } })).toBe('tool_error');
    expect(outcomeOf({ error: { code: -1, message: 'x' } })).toBe('error');
    expect(outcomeOf(undefined)).toBe('error');
  });
});
