// The broker image's health check: a Metadata v0 request (all topics) to the broker's own
// listener; healthy when the answer lists this broker's id, i.e. it serves, is registered in
// ZooKeeper and has been told of the cluster. No dependencies: it runs every few seconds.
import net from 'node:net';
import { readFileSync } from 'node:fs';

const file = process.env.KAFKA_PROPERTIES_FILE ?? '/tmp/server.properties';
const props = new Map();
for (const line of readFileSync(file, 'utf8').split('\n')) {
  const m = /^\s*([^#!=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
  if (m) props.set(m[1], m[2].trim());
}
const brokerId = Number(props.get('broker.id'));
const port = Number(/:(\d+)\s*$/.exec(props.get('listeners') ?? '')?.[1] ?? props.get('port') ?? 9092);

function fail(msg) {
  console.log(`unhealthy: ${msg}`);
  process.exit(1);
}

const clientId = Buffer.from('healthcheck');
const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4);
let o = req.writeInt32BE(req.length - 4, 0);
o = req.writeInt16BE(3, o); // Metadata
o = req.writeInt16BE(0, o); // v0
o = req.writeInt32BE(1, o); // correlation id
o = req.writeInt16BE(clientId.length, o);
o += clientId.copy(req, o);
req.writeInt32BE(0, o); // no topics: all of them

const sock = net.connect({ host: '127.0.0.1', port });
sock.setTimeout(2500, () => fail(`no answer from 127.0.0.1:${port}`));
sock.on('error', (err) => fail(`127.0.0.1:${port}: ${err.message}`));
sock.on('connect', () => sock.write(req));
let buf = Buffer.alloc(0);
sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
  sock.destroy();
  let p = 8; // size, correlation id
  const n = buf.readInt32BE(p);
  p += 4;
  const ids = [];
  for (let i = 0; i < n; i++) {
    ids.push(buf.readInt32BE(p));
    p += 4;
    p += 2 + buf.readInt16BE(p); // host
    p += 4; // port
  }
  if (!ids.includes(brokerId)) fail(`broker ${brokerId} not in its own metadata (brokers: ${ids.join(',') || 'none'})`);
  console.log(`healthy: broker ${brokerId}, cluster brokers ${ids.sort((a, b) => a - b).join(',')}`);
  process.exit(0);
});
