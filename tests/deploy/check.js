// Checks for tests/Deploy.Tests, printing one JSON object on stdout:
//   node check.js manifests FILE...        every object of each multi-document YAML file, validated against the
//                                          Kubernetes OpenAPI schemas of kubernetes-models (core kinds) and
//                                          @kubernetes-models/prometheus-operator (monitoring.coreos.com kinds)
//   node check.js schema SCHEMA DEFAULTS FILE...   each values FILE deep-merged over DEFAULTS (as Helm coalesces -f
//                                          files: maps merge, null deletes) and validated against SCHEMA with ajv
// Output: {"results":[{"file":..., "name":..., "ok":true|false, "errors":[...]}]}
'use strict';
const fs = require('fs');
const YAML = require('yaml');

function modelClass(apiVersion, kind) {
  const group = apiVersion.includes('/') ? apiVersion : `v1`;
  const modulePath = apiVersion.startsWith('monitoring.coreos.com/')
    ? `@kubernetes-models/prometheus-operator/${group}/${kind}`
    : `kubernetes-models/${group}/${kind}`;
  return require(modulePath)[kind];
}

function checkManifests(files) {
  const results = [];
  for (const file of files) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      const obj = doc.toJSON();
      if (obj == null) continue;
      const name = `${obj.kind}/${obj.metadata && obj.metadata.name}`;
      try {
        const Model = modelClass(obj.apiVersion, obj.kind);
        if (!Model) throw new Error(`no model for ${obj.apiVersion} ${obj.kind}`);
        new Model(obj).validate();
        results.push({ file, name, ok: true, errors: [] });
      } catch (e) {
        results.push({ file, name, ok: false, errors: [String(e.message || e)] });
      }
    }
  }
  return results;
}

function merge(base, override) {
  const out = { ...base };
  for (const [k, v] of Object.entries(override || {})) {
    if (v === null) delete out[k];
    else if (isMap(out[k]) && isMap(v)) out[k] = merge(out[k], v);
    else out[k] = v;
  }
  return out;
}
const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkSchema(schemaFile, defaultsFile, files) {
  const Ajv = require('ajv');
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
  const defaults = YAML.parse(fs.readFileSync(defaultsFile, 'utf8'));
  return files.map((file) => {
    const values = merge(defaults, YAML.parse(fs.readFileSync(file, 'utf8')) || {});
    const ok = validate(values);
    const errors = ok ? [] : validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
    return { file, name: file, ok, errors };
  });
}

const [mode, ...args] = process.argv.slice(2);
let results;
if (mode === 'manifests') results = checkManifests(args);
else if (mode === 'schema') results = checkSchema(args[0], args[1], args.slice(2));
else {
  console.error('usage: node check.js manifests FILE... | schema SCHEMA DEFAULTS FILE...');
  process.exit(2);
}
process.stdout.write(JSON.stringify({ results }) + '\n');
