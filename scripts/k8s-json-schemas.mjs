// JSON schemas for kubeconform, made offline from sources the Go module proxy serves:
// - Kubernetes kinds from api/openapi-spec/swagger.json of the k8s.io/kubernetes module;
// - prometheus-operator kinds (ServiceMonitor, PodMonitor, PrometheusRule) from the CRDs in
//   example/prometheus-operator-crd/ of the github.com/prometheus-operator/prometheus-operator module.
// Each schema is standalone (every $ref inlined) and strict (an object with declared properties
// allows no others), as kubeconform's "-standalone-strict" schemas are. File names follow
// kubeconform's template {{ .ResourceKind }}{{ .KindSuffix }}.json (deployment-apps-v1.json).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';

/** kubeconform's file name for a kind and apiVersion. */
export function schemaFileName(kind, apiVersion) {
  const [groupOrVersion, version] = apiVersion.split('/');
  const suffix = version === undefined ? `-${groupOrVersion}` : `-${groupOrVersion.split('.')[0]}-${version}`;
  return `${kind.toLowerCase()}${suffix.toLowerCase()}.json`;
}

/** Strict, standalone JSON schemas of every kind in a Kubernetes swagger.json, keyed by file name. */
export function kubernetesSchemas(swagger, wanted) {
  const definitions = swagger.definitions;
  const out = new Map();
  for (const [name, def] of Object.entries(definitions)) {
    for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      const file = schemaFileName(gvk.kind, apiVersion);
      if (wanted && !wanted.has(file)) continue;
      out.set(file, { $schema: 'http://json-schema.org/draft-04/schema#', ...inline(definitions, name, []) });
    }
  }
  return out;
}

function inline(definitions, name, stack) {
  if (name === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString') {
    return { oneOf: [{ type: 'string' }, { type: 'integer' }] };
  }
  if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') {
    return { oneOf: [{ type: 'string' }, { type: 'number' }] };
  }
  // A recursive type (JSONSchemaProps) is left open past its first level.
  if (stack.includes(name)) return {};
  return strict(definitions[name], (ref) => inline(definitions, ref, [...stack, name]));
}

/** Resolves refs through `resolve`, drops extensions, and closes objects with properties. */
function strict(schema, resolve) {
  if (Array.isArray(schema)) return schema.map((s) => strict(s, resolve));
  if (schema === null || typeof schema !== 'object') return schema;
  if (typeof schema.$ref === 'string') return resolve(schema.$ref.replace('#/definitions/', ''));
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-') || key === 'description') continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strict(v, resolve)]));
    } else out[key] = typeof value === 'object' ? strict(value, resolve) : value;
  }
  if (schema['x-kubernetes-int-or-string']) {
    delete out.type;
    out.oneOf = [{ type: 'string' }, { type: 'integer' }];
  }
  const open = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (out.properties && out.additionalProperties === undefined && !open) out.additionalProperties = false;
  return out;
}

/** Strict JSON schemas of every version of a CustomResourceDefinition (YAML text). */
export function crdSchemas(crdText) {
  const crd = yaml.safeLoad(crdText);
  const out = new Map();
  for (const version of crd.spec.versions) {
    const schema = strict(version.schema.openAPIV3Schema, () => ({}));
    const apiVersion = `${crd.spec.group}/${version.name}`;
    // apiVersion, kind and metadata are the API server's, declared loosely in CRDs.
    schema.properties = {
      ...schema.properties,
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
    };
    out.set(schemaFileName(crd.spec.names.kind, apiVersion), {
      $schema: 'http://json-schema.org/draft-04/schema#',
      ...schema,
    });
  }
  return out;
}

/** Writes the schemas named in `wanted` (file names) into `dir`, from the given sources. */
export function writeSchemas({ dir, swaggerPath, crdPaths, wanted }) {
  mkdirSync(dir, { recursive: true });
  const missing = new Set([...wanted].filter((f) => !existsSync(join(dir, f))));
  if (missing.size === 0) return;
  const all = kubernetesSchemas(JSON.parse(readFileSync(swaggerPath, 'utf8')), missing);
  for (const path of crdPaths) for (const [f, s] of crdSchemas(readFileSync(path, 'utf8'))) all.set(f, s);
  for (const [file, schema] of all)
    if (missing.has(file)) writeFileSync(join(dir, file), JSON.stringify(schema));
}
