// Jest entry for the `operator` project's global teardown (see jest-global-setup.mjs).
import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { default: teardown } = await tsImport('./jest-global-teardown.ts', import.meta.url);
  await teardown();
}
