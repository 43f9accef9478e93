'use strict';
// Deterministic test corpus (seeded PRNG): >= 2,000 strings over the categories the tokenizer must
// get right. Shared by reference.js (ids from the JS reference) and, through it, the C# tests.
// U+0085 and U+FEFF are left out on purpose: JS \s and the Rust regex crate's \s disagree on them
// (see src/Tokenization/README.md).

function mulberry32(seed) {
  return function () {
    seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const prose = [
  'The quick brown fox jumps over the lazy dog.', "I'm sure we'll see what they've done; it's fine, isn't it?",
  'Disaggregated prefill and decode separate the compute-bound and memory-bound phases of inference.',
  "SHE'S HERE, WE'LL GO. They'RE late, I'D say.", 'Hello, world! How are you doing today?',
  'In 1969, Apollo 11 landed on the Moon; 600 million people watched.', 'e.g. Mr. Smith paid $3.50 (tax incl.) at 10:45pm.',
  'Caf\u00e9 na\u00efve r\u00e9sum\u00e9 co\u00f6perate fa\u00e7ade \u00fcber Stra\u00dfe', 'Well...   that was   unexpected!!!  ',
  'She said: "No way." He replied -- "Yes way!"', 'Line one\nLine two\r\nLine three\n\n\nEnd', 'tabs\tseparate\tvalues\t\there',
];
const code = [
  'def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n',
  'for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }',
  'public sealed class Foo : IBar\n{\n    private readonly int _x;\n}\n',
  '{"model": "llama", "max_tokens": 128, "stop": ["\\n", "</s>"]}',
  'SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;',
  '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); return 0; }',
  'const x = arr.map((v) => v ** 2).filter(Boolean); // squares',
  '    if x:\n        pass\n\telse:\n\t\treturn None',
  'git commit -m "fix: handle \\r\\n" && echo $HOME/.config',
  '<div class="a">&nbsp;&lt;tag&gt;</div>', 'https://example.com/path?q=1&r=two#frag', 'a_b__c___d ____init____',
];
const multilingual = [
  '\u4eca\u5929\u5929\u6c14\u5f88\u597d\uff0c\u6211\u4eec\u53bb\u516c\u56ed\u5427\u3002', '\u65e5\u672c\u8a9e\u306e\u6587\u7ae0\u3068\u30ab\u30bf\u30ab\u30ca\u3002',
  '\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc785\ub2c8\ub2e4.', '\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645\u060c \u0643\u064a\u0641 \u062d\u0627\u0644\u0643\u061f',
  '\u0627\u0644\u0652\u0639\u064e\u0631\u064e\u0628\u0650\u064a\u0651\u064e\u0629\u064f', '\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd',
  '\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430?', '\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e',
  '\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a', '\u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u03ba\u03cc\u03c3\u03bc\u03b5',
  'Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u', '\u00bfQu\u00e9 tal? \u00a1Muy bien!',
];
const emoji = ['\ud83d\ude00', '\ud83d\udc4d\ud83c\udffd', '\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67', '\ud83c\uddfa\ud83c\uddf8', '\u2764\ufe0f', '\ud83e\udd16', '\ud83d\ude80\u2728', '\u263a'];
const combining = ['e\u0301', 'a\u0308', 'n\u0303', 'o\u0302\u0323', 'A\u030a', '\u1100\u1161\u11a8', 'q\u0307\u0323', '\u0915\u093c', 'c\u0327\u0301', '\u0301'];
const specials = ['<s>', '</s>', '<unk>', '<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|begin_of_text|>', '<|eot_id|>',
  '<|start_header_id|>', '<think>', '</think>', '<tool_call>', '<0x41>', '<0xE2>', '< s>', '<|im_sta', '<<s>>', '<|reserved_special_token_5|>', '\u2581', '\u2581\u2581x'];
const lone = ['\ud800', '\udc00', '\udbff', '\udfff', '\ude00\ud83d', '\ud83d'];
const supplementary = ['\ud835\udc00\ud835\udc01', '\ud840\udc00\ud840\udc01', '\ud835\udfd8\ud835\udfd9', '\ud801\udc00', '\ud83c\udd70'];
const spaces = [' ', '  ', '   ', '\t', '\n', '\r\n', '\n\n', ' \n ', '\u00a0', '\u3000', '\u2009', '\u202f', '\v', '\f'];

function pick(r, arr) { return arr[Math.floor(r() * arr.length)]; }
function digits(r) {
  const forms = [() => String(Math.floor(r() * 10 ** (1 + Math.floor(r() * 12)))), () => (r() * 1000).toFixed(3),
    () => `${1900 + Math.floor(r() * 200)}-${1 + Math.floor(r() * 12)}-${1 + Math.floor(r() * 28)}`, () => '\u0663\u0664\u0665', () => '\uff11\uff12\uff13', () => '\u00bd \u2163'];
  return pick(r, forms)();
}
function randomCodePoints(r) {
  const blocks = [[0x20, 0x7e], [0xa0, 0x24f], [0x300, 0x36f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x6ff], [0x900, 0x97f],
    [0x3040, 0x30ff], [0x4e00, 0x4fff], [0xac00, 0xad00], [0x1f300, 0x1f64f], [0x2000, 0x206f], [0xff00, 0xffef], [0x1d400, 0x1d7ff], [0x20000, 0x20100]];
  let s = '';
  const n = 1 + Math.floor(r() * 12);
  for (let i = 0; i < n; i++) {
    const [lo, hi] = pick(r, blocks);
    const cp = lo + Math.floor(r() * (hi - lo + 1));
    if (cp === 0x85 || cp === 0xfeff || cp === 0x2028 || cp === 0x2029) continue;
    s += String.fromCodePoint(cp);
  }
  return s;
}

function build() {
  const r = mulberry32(20261122);
  const out = [];
  const long = ['a'.repeat(3000), ' '.repeat(1000), '9'.repeat(500), '\ud83d\ude00'.repeat(300), '\n'.repeat(300) + 'x',
    Array.from({ length: 600 }, (_, i) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[(i * 7919) % 64]).join(''),
    '\u4e2d'.repeat(700), 'ab'.repeat(900) + ' ' + prose.join(' ')];
  const fixed = [...prose, ...code, ...multilingual, ...emoji, ...combining, ...specials, ...lone, ...supplementary, ...spaces, ...long, ''];
  out.push(...fixed);
  const gens = [
    () => pick(r, prose), () => pick(r, code), () => pick(r, multilingual), () => pick(r, emoji), () => pick(r, combining),
    () => pick(r, specials), () => pick(r, lone), () => pick(r, supplementary), () => pick(r, spaces), digits, randomCodePoints,
    () => pick(r, spaces).repeat(1 + Math.floor(r() * 20)),
  ];
  while (out.length < 2400) {
    const parts = 1 + Math.floor(r() * 6);
    let s = '';
    for (let i = 0; i < parts; i++) s += pick(r, gens)(r) + (r() < 0.5 ? ' ' : '');
    out.push(s);
  }
  return out;
}

module.exports = { build };
