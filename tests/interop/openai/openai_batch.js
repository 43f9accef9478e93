'use strict';
// The official openai npm client driving the Batch API. Usage:
//   node openai_batch.js <baseURL> <apiKey> <run|cancel|start> <input.jsonl> <endpoint> [timeoutMs]
// run: upload, create, poll until final, download output and error files; cancel: upload, create, cancel, poll;
// start: upload and create only. Prints one JSON object with what it received (the C# tests assert on it).
const fs = require('fs');
const OpenAI = require('openai');
const { toFile } = require('openai');

const [baseURL, apiKey, action, inputPath, endpoint, timeoutArg] = process.argv.slice(2);
const timeoutMs = Number(timeoutArg || 60000);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30000 });
const finalStatuses = ['completed', 'failed', 'cancelled', 'expired'];

async function poll(id) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (finalStatuses.includes(batch.status)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function lines(fileId) {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

async function main() {
  const out = {};
  const file = await client.files.create({ file: await toFile(fs.readFileSync(inputPath), 'input.jsonl'), purpose: 'batch' });
  out.file = file;
  out.retrievedFile = await client.files.retrieve(file.id);
  const created = await client.batches.create({ input_file_id: file.id, endpoint, completion_window: '24h' });
  out.created = created;
  if (action === 'start') {
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }

  if (action === 'cancel') out.cancelling = await client.batches.cancel(created.id);
  const batch = await poll(created.id);
  out.batch = batch;
  out.output = await lines(batch.output_file_id);
  out.errors = await lines(batch.error_file_id);
  const page = await client.batches.list({ limit: 1 });
  out.list = { ids: page.data.map((b) => b.id), has_more: page.has_more };
  out.deleted = await client.files.delete(file.id);
  try {
    await client.files.retrieve(file.id);
    out.afterDelete = null;
  } catch (e) {
    out.afterDelete = { status: e.status, code: e.code };
  }

  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
