import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRD_PATHS, renderCrdYaml } from '../operator/api/crd-yaml.js';

/** Writes the generated CRD into crds/ and config/crd/bases/ (run: `make crds`). */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const text = renderCrdYaml();
for (const rel of CRD_PATHS) {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote ${rel}`);
}
