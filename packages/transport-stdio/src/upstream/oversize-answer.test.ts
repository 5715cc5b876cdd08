import { describe, expect, it } from 'vitest';
import { answeredId } from './oversize-answer.js';

const pad = 'x'.repeat(300);
const edges = (line: string) => ({ head: line.slice(0, 256), tail: line.slice(-256) });

describe('answeredId', () => {
  it('reads the id of an answer whose id comes first, or last as the MCP SDK writes it', () => {
    expect(answeredId(edges(`{"jsonrpc":"2.0","id":5,"result":{"text":"${pad}"}}`))).toBe(5);
    expect(answeredId(edges(`{"id":"a\\"b","jsonrpc":"2.0","error":{"code":1,"message":"${pad}"}}`))).toBe('a"b');
    expect(answeredId(edges(`{"result":{"text":"${pad}"},"jsonrpc":"2.0","id":0}`))).toBe(0);
    expect(answeredId(edges(`{"result":{"text":"${pad}"},"id":"x-1","jsonrpc":"2.0"}\r`))).toBe('x-1');
  });

  it('does not guess: requests, notifications and nested ids are not answers', () => {
    expect(answeredId(edges(`{"method":"sampling/createMessage","params":{"t":"${pad}"},"jsonrpc":"2.0","id":5}`))).toBeUndefined();
    expect(answeredId(edges(`{"jsonrpc":"2.0","id":5,"method":"x","params":{"t":"${pad}"}}`))).toBeUndefined();
    expect(answeredId(edges(`{"result":{"items":[{"t":"${pad}","id":3}]}}`))).toBeUndefined();
    expect(answeredId(edges(`{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"${pad}"}}`))).toBeUndefined();
    expect(answeredId(edges(`{"result":{"t":"${pad}"},"id":{"no":1}}`))).toBeUndefined();
  });
});
