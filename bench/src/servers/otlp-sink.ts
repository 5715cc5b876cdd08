// An OTLP/HTTP receiver that takes every export and keeps nothing: where the
// traced target sends its spans, so exporting costs what it costs against a
// collector on the same machine. Usage: node dist/servers/otlp-sink.js --port N
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string' } } });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
server.listen(Number(values.port ?? 0), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
