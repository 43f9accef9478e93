'use strict';
// Shared loading of interop.proto for the grpc-js client and server scripts.
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const definition = protoLoader.loadSync(path.join(__dirname, 'interop.proto'), {
  keepCase: true,
  longs: String,
  defaults: true,
  bytes: Buffer,
});
const Echo = grpc.loadPackageDefinition(definition).interop.Echo;

const MAX_MESSAGE = 16 * 1024 * 1024;
const DETAILS = Buffer.from([1, 2, 3, 255]);

module.exports = { grpc, Echo, MAX_MESSAGE, DETAILS };
