import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@mcproxy/core';
import { discardBody } from './body.js';
import type { HostGuard } from './host-guard.js';
import { HttpErrorCode, sendJsonRpcError } from './replies.js';

/**
 * The first two refusals of every HTTP face, before its routing: 503 while
 * the face shuts down (what the client still sends is read and dropped) and
 * 403 when the Host/Origin guard refuses. True when it answered.
 */
export function refusedAtTheDoor(req: IncomingMessage, res: ServerResponse, closing: boolean, guard: HostGuard, maxBodyBytes: number, log: Logger): boolean {
  if (closing) {
    discardBody(req, maxBodyBytes);
    sendJsonRpcError(res, 503, HttpErrorCode.Refused, 'Service Unavailable: the proxy is shutting down', { Connection: 'close' });
    return true;
  }
  const refusal = guard(req.headers);
  if (refusal === undefined) return false;
  log.warn({ method: req.method, reason: refusal }, 'request refused (DNS-rebinding protection)');
  sendJsonRpcError(res, 403, HttpErrorCode.Refused, `Forbidden: ${refusal}`);
  return true;
}
