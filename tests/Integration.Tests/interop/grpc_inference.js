'use strict';
// A real @grpc/grpc-js client (from tests/interop/node_modules, found through NODE_PATH) against the router's
// cluster.v1.Inference service. Usage: node grpc_inference.js ADDRESS API_KEY MODEL MODE [PROMPT_IDS MAX_TOKENS]
//   MODE generate: streams Generate with the given token ids (greedy) and prints {"tokens":[..],"finish":..,"usage":..}
//   MODE complete: the unary Complete call, same output
//   MODE models:   ListModels, prints {"models":[ids]}
//   MODE error:    Generate with an empty prompt, prints {"code":N,"details":".."}
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [address, apiKey, model, mode, promptIds, maxTokens] = process.argv.slice(2);
const protoRoot = path.join(__dirname, '..', '..', '..', 'proto');
const definition = protoLoader.loadSync(path.join(protoRoot, 'cluster', 'v1', 'inference.proto'), {
  keepCase: true, longs: Number, enums: String, defaults: true, includeDirs: [protoRoot],
});
const Inference = grpc.loadPackageDefinition(definition).cluster.v1.Inference;
const client = new Inference(address.replace(/^http:\/\//, '').replace(/\/$/, ''), grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
if (apiKey) metadata.set('authorization', `Bearer ${apiKey}`);
const deadline = new Date(Date.now() + 60000);

function request(ids) {
  return {
    model,
    token_ids: { ids },
    sampling: { temperature: 0 },
    stop: { max_tokens: Number(maxTokens || 8) },
  };
}

let finished = false;
function done(value) { if (finished) return; finished = true; console.log(JSON.stringify(value)); client.close(); }
function fail(err) { done({ code: err.code, details: err.details }); }

const ids = promptIds ? promptIds.split(',').map(Number) : [];
if (mode === 'generate') {
  const tokens = [];
  let last = null;
  const call = client.Generate(request(ids), metadata, { deadline });
  call.on('data', (chunk) => { tokens.push(...chunk.token_ids); last = chunk; });
  call.on('error', fail);
  call.on('end', () => done({ tokens, finish: last && last.finish_reason, usage: last && last.usage }));
} else if (mode === 'complete') {
  client.Complete(request(ids), metadata, { deadline }, (err, r) => err ? fail(err) : done({ tokens: r.token_ids, finish: r.finish_reason, usage: r.usage }));
} else if (mode === 'models') {
  client.ListModels({}, metadata, { deadline }, (err, r) => err ? fail(err) : done({ models: r.models.map((m) => m.id) }));
} else if (mode === 'error') {
  const call = client.Generate(request([]), metadata, { deadline });
  call.on('data', () => {});
  call.on('error', fail);
  call.on('end', () => done({ code: 0, details: 'no error' }));
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
