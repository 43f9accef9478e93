'use strict';
// Renders every case of chat_cases.js with @huggingface/jinja (the renderer transformers.js uses) and
// prints one JSON object per line: {template, conversation, source, context, rendered | error}.
const { Template } = require('@huggingface/jinja');
const { cases } = require('./chat_cases.js');

const lines = [];
for (const c of cases()) {
  const row = { template: c.template, conversation: c.conversation, source: c.source, context: c.context };
  try {
    row.rendered = new Template(c.source).render(c.context);
  } catch (e) {
    row.error = String(e.message || e);
  }
  lines.push(JSON.stringify(row));
}
process.stdout.write(lines.join('\n') + '\n');
