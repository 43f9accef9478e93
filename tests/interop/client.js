'use strict';
// A grpc-js client of interop.Echo. Usage: node client.js <host:port> <scenario>
// Prints one JSON line with what it observed; tests/Rpc.Tests asserts on it.
const { grpc, Echo, MAX_MESSAGE } = require('./common');

const [address, scenario] = process.argv.slice(2);
const options = {
  'grpc.max_receive_message_length': MAX_MESSAGE,
  'grpc.max_send_message_length': MAX_MESSAGE,
};
if (scenario === 'gzip') {
  options['grpc.default_compression_algorithm'] = 2; // gzip
}
const client = new Echo(address, grpc.credentials.createInsecure(), options);

function fail(error) {
  return { code: error.code, details: error.details, trailers: metadataToJson(error.metadata) };
}

function metadataToJson(metadata) {
  const result = {};
  if (!metadata) return result;
  for (const [key, values] of Object.entries(metadata.getMap())) {
    result[key] = Buffer.isBuffer(values) ? values.toString('base64') : String(values);
  }
  return result;
}

function unary(request, callOptions = {}, metadata = new grpc.Metadata()) {
  return new Promise((resolve) => {
    const result = {};
    const call = client.Unary(request, metadata, callOptions, (error, response) => {
      if (error) {
        resolve({ ...result, ...fail(error) });
        return;
      }
      result.text = response.text;
      result.payloadLength = response.payload.length;
      result.payloadSum = response.payload.reduce((a, b) => (a + b) % 65536, 0);
    });
    call.on('metadata', (headers) => { result.headers = metadataToJson(headers); });
    call.on('status', (status) => {
      if (status.code === 0) resolve({ ...result, code: 0, trailers: metadataToJson(status.metadata) });
    });
  });
}

function readAll(call) {
  return new Promise((resolve) => {
    const messages = [];
    call.on('data', (message) => messages.push(message));
    call.on('error', (error) => resolve({ messages, ...fail(error) }));
    call.on('status', (status) => {
      if (status.code === 0) resolve({ messages, code: 0 });
    });
  });
}

const scenarios = {
  async unary() {
    const metadata = new grpc.Metadata();
    metadata.set('x-test', 'from-node');
    metadata.set('x-test-bin', Buffer.from([0, 1, 2, 254]));
    return unary({ text: 'hi', payload: Buffer.alloc(10, 7) }, {}, metadata);
  },
  async 'unary-error'() {
    return unary({ text: 'error' });
  },
  async big() {
    const payload = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    return unary({ text: 'big', payload });
  },
  async gzip() {
    return unary({ text: 'z'.repeat(4000) });
  },
  async deadline() {
    // Connect first, so the deadline (1 s) is spent in the server's handler, not in connection set-up.
    await unary({ text: 'warm-up' });
    return unary({ text: 'wait' }, { deadline: Date.now() + 1000 });
  },
  async 'server-stream'() {
    const result = await readAll(client.ServerStream({ count: 5, payload: Buffer.alloc(100, 1) }));
    return { code: result.code, counts: result.messages.map((m) => m.count), bytes: result.messages.reduce((a, m) => a + m.payload.length, 0) };
  },
  async 'client-stream'() {
    return new Promise((resolve) => {
      const call = client.ClientStream((error, response) => {
        resolve(error ? fail(error) : { code: 0, count: response.count, text: response.text });
      });
      for (const size of [1, 10, 100, 1000]) call.write({ payload: Buffer.alloc(size) });
      call.end();
    });
  },
  async duplex() {
    const call = client.Duplex();
    const texts = [];
    return new Promise((resolve) => {
      let next = 0;
      call.on('data', (message) => {
        texts.push(message.text);
        next++;
        if (next < 3) call.write({ text: `m${next}` });
        else call.end();
      });
      call.on('error', (error) => resolve({ texts, ...fail(error) }));
      call.on('status', (status) => { if (status.code === 0) resolve({ texts, code: 0 }); });
      call.write({ text: 'm0' });
    });
  },
  async 'duplex-error'() {
    const call = client.Duplex();
    const result = readAll(call);
    call.write({ text: 'ok' });
    call.write({ text: 'error' });
    const r = await result;
    return { code: r.code, details: r.details, trailers: r.trailers, texts: r.messages.map((m) => m.text) };
  },
  async cancel() {
    const call = client.ServerStream({ text: 'wait' });
    return new Promise((resolve) => {
      let received = 0;
      call.on('data', () => {
        received++;
        call.cancel();
      });
      call.on('error', (error) => resolve({ received, code: error.code }));
    });
  },
};

const run = scenarios[scenario];
if (!run) {
  process.stderr.write(`unknown scenario ${scenario}\n`);
  process.exit(2);
}
run().then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + '\n');
    client.close();
    process.exit(0);
  },
  (error) => {
    process.stderr.write(`scenario failed: ${error && error.stack}\n`);
    process.exit(1);
  },
);
