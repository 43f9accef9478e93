'use strict';
// A @grpc/grpc-js client of the router's cluster.v1.Inference (reuses tests/interop's node_modules).
// Usage: node grpc_inference.js <host:port> <repo proto dir> <apiKey>; prints one JSON line.
const path = require('path');
const interop = path.join(__dirname, '..', 'node_modules');
const grpc = require(path.join(interop, '@grpc', 'grpc-js'));
const protoLoader = require(path.join(interop, '@grpc', 'proto-loader'));

const [address, protoDir, apiKey] = process.argv.slice(2);
const definition = protoLoader.loadSync('cluster/v1/inference.proto', {
  includeDirs: [protoDir], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
});
const { Inference } = grpc.loadPackageDefinition(definition).cluster.v1;
const client = new Inference(address, grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
if (apiKey) metadata.set('authorization', 'Bearer ' + apiKey);

const chunks = [];
const call = client.Generate({ model: 'tiny', text: 'Hi', stop: { max_tokens: 6 }, request_id: 'grpc-js-1' }, metadata);
call.on('data', (c) => chunks.push(c));
call.on('error', (e) => {
  process.stdout.write(JSON.stringify({ code: e.code, details: e.details }) + '\n');
});
call.on('end', () => {
  const last = chunks[chunks.length - 1];
  process.stdout.write(JSON.stringify({
    text: chunks.map((c) => c.text).join(''),
    request_ids: [...new Set(chunks.map((c) => c.request_id))],
    finish_reason: last.finish_reason,
    usage: last.usage,
  }) + '\n');
});
