'use strict';
// A grpc-js server of interop.Echo on 127.0.0.1 (port 0). Prints "PORT <n>", then "EVENT <what> <method>"
// lines; exits when stdin closes. Semantics mirror tests/Rpc.Tests/Interop/InteropEchoService.cs.
const { grpc, Echo, MAX_MESSAGE, DETAILS } = require('./common');

function echoError() {
  const trailers = new grpc.Metadata();
  trailers.set('grpc-status-details-bin', DETAILS);
  trailers.set('x-error', 'yes');
  return { code: grpc.status.INVALID_ARGUMENT, details: 'interop error ü 100%', metadata: trailers };
}

function event(what, method) {
  process.stdout.write(`EVENT ${what} ${method}\n`);
}

const handlers = {
  Unary(call, callback) {
    const request = call.request;
    if (request.text === 'error') {
      callback(echoError());
      return;
    }
    if (request.text === 'wait') {
      call.on('cancelled', () => event('cancelled', 'Unary'));
      return;
    }
    const headers = new grpc.Metadata();
    const test = call.metadata.get('x-test');
    const testBin = call.metadata.get('x-test-bin');
    if (test.length > 0) headers.set('x-echo', String(test[0]));
    if (testBin.length > 0) headers.set('x-echo-bin', testBin[0]);
    call.sendMetadata(headers);
    const trailers = new grpc.Metadata();
    trailers.set('x-trailer', 'done');
    callback(null, { text: `echo:${request.text}`, payload: request.payload, count: request.count }, trailers);
  },

  ServerStream(call) {
    const request = call.request;
    if (request.text === 'wait') {
      call.on('cancelled', () => event('cancelled', 'ServerStream'));
      call.write({ text: 'first' });
      return;
    }
    for (let i = 0; i < request.count; i++) {
      call.write({ count: i, payload: request.payload });
    }
    call.end();
  },

  ClientStream(call, callback) {
    let count = 0;
    let bytes = 0;
    call.on('data', (message) => {
      count++;
      bytes += message.payload.length;
    });
    call.on('end', () => callback(null, { count, text: String(bytes) }));
    call.on('cancelled', () => event('cancelled', 'ClientStream'));
    call.on('error', () => {});
  },

  Duplex(call) {
    call.on('data', (message) => {
      if (message.text === 'error') {
        call.emit('error', echoError());
        return;
      }
      call.write({ text: `echo:${message.text}`, payload: message.payload });
    });
    call.on('end', () => call.end());
    call.on('cancelled', () => event('cancelled', 'Duplex'));
    call.on('error', () => {});
  },
};

const server = new grpc.Server({
  'grpc.max_receive_message_length': MAX_MESSAGE,
  'grpc.max_send_message_length': MAX_MESSAGE,
});
server.addService(Echo.service, handlers);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    process.stderr.write(`bind failed: ${error.message}\n`);
    process.exit(2);
  }
  process.stdout.write(`PORT ${port}\n`);
});

process.stdin.on('end', () => server.tryShutdown(() => process.exit(0)));
process.stdin.resume();
