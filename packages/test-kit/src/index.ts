export { connectClient, type ClientScript, type TestClient } from './client.js';
export { fromFactory, testMiddleware, type Kit, type KitOptions } from './kit.js';
export { scriptedUpstream, type Received, type ScriptedTool, type ScriptedUpstream, type UpstreamScript } from './upstream.js';
