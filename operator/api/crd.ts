import { z } from 'zod';
import { CATEGORIES, GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from './names.js';
import { specSchema, statusSchema } from './schema.js';

type JsonSchema = { [key: string]: unknown };

/**
 * Turns zod's OpenAPI 3.0 output into a Kubernetes structural schema: int-or-string quantities get the
 * `x-kubernetes-int-or-string` form the API server accepts, and keys Kubernetes does not know are dropped.
 */
export function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (node === null || typeof node !== 'object') return node;
  const src = node as JsonSchema;
  if (src['x-kubernetes-int-or-string'] === true) {
    const stringBranch = (src.anyOf as JsonSchema[] | undefined)?.find((b) => b.type === 'string');
    const out: JsonSchema = {
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
    };
    if (stringBranch?.pattern) out.pattern = stringBranch.pattern;
    if (src.description) out.description = src.description;
    return out;
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(src)) {
    if (key === '$schema' || key === 'id') continue;
    if (key === 'additionalProperties' && value === false) continue;
    out[key] =
      key === 'default' || key === 'enum' || key === 'x-kubernetes-validations' ? value : toStructural(value);
  }
  return out;
}

function openApi(schema: z.ZodType): JsonSchema {
  return toStructural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' })) as JsonSchema;
}

/** The CustomResourceDefinition of GoAssistDeployment, generated from the zod schema. */
export function buildCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: SINGULAR,
        shortNames: SHORT_NAMES,
        categories: CATEGORIES,
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: [
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Replicas', type: 'integer', jsonPath: '.status.readyReplicas' },
            { name: 'Canary Weight', type: 'integer', jsonPath: '.status.canaryWeight' },
            { name: 'TTFA p95 (ms)', type: 'number', jsonPath: '.status.ttfaP95Ms' },
            { name: 'Revision', type: 'string', jsonPath: '.status.stableRevision', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              description:
                'GoAssistDeployment runs the GoAssist voice runtime and rolls out new revisions progressively.',
              type: 'object',
              required: ['spec'],
              'x-kubernetes-validations': [
                {
                  rule: "size(self.metadata.name) <= 52 && self.metadata.name.matches('^[a-z]')",
                  message:
                    'metadata.name must start with a letter and be at most 52 characters (children are named <name>-<revision hash>)',
                },
              ],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: openApi(specSchema),
                status: openApi(statusSchema),
              },
            },
          },
        },
      ],
    },
  };
}
