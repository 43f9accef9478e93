'use strict';
// The official openai npm client against the router. Usage: node openai_client.js <baseURL> <apiKey>
// Runs completions and chat.completions, streaming and not, plus models.list and one expected error;
// prints one JSON object with what it received. tests/Router.Tests/Api/Interop asserts on it.
const OpenAI = require('openai');

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30000 });

async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function main() {
  const out = {};
  out.models = (await client.models.list()).data.map((m) => ({ id: m.id, object: m.object, owned_by: m.owned_by }));

  const completion = await client.completions.create({ model: 'tiny', prompt: 'Hi', max_tokens: 5, temperature: 0 });
  out.completion = { id: completion.id, object: completion.object, text: completion.choices[0].text,
    finish_reason: completion.choices[0].finish_reason, usage: completion.usage };

  const completionChunks = await collect(await client.completions.create(
    { model: 'tiny', prompt: [72, 105], max_tokens: 7, stream: true, stream_options: { include_usage: true } }));
  out.completionStream = {
    text: completionChunks.map((c) => (c.choices[0] ? c.choices[0].text : '')).join(''),
    finish_reason: completionChunks.map((c) => c.choices[0] && c.choices[0].finish_reason).filter(Boolean),
    usage: completionChunks[completionChunks.length - 1].usage,
  };

  const chat = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 6, stop: ['world'] });
  out.chat = { object: chat.object, role: chat.choices[0].message.role, content: chat.choices[0].message.content,
    finish_reason: chat.choices[0].finish_reason, usage: chat.usage };

  const chatChunks = await collect(await client.chat.completions.create({
    model: 'tiny', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }],
    max_completion_tokens: 9, stream: true, stream_options: { include_usage: true }, logprobs: true,
  }));
  out.chatStream = {
    role: chatChunks[0].choices[0].delta.role,
    content: chatChunks.map((c) => (c.choices[0] ? c.choices[0].delta.content || '' : '')).join(''),
    logprobs: chatChunks.flatMap((c) => (c.choices[0] && c.choices[0].logprobs ? c.choices[0].logprobs.content : [])).length,
    finish_reason: chatChunks.map((c) => c.choices[0] && c.choices[0].finish_reason).filter(Boolean),
    usage: chatChunks[chatChunks.length - 1].usage,
  };

  try {
    await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'Hi' }] });
    out.error = null;
  } catch (e) {
    out.error = { status: e.status, message: e.error && e.error.message, param: e.param, type: e.type, name: e.constructor.name };
  }

  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
