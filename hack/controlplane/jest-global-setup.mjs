// Jest entry for the `operator` project's global setup. Jest loads global setup files outside its module
// system (no moduleNameMapper), so the TypeScript implementation is loaded through tsx, which resolves
// its `.js` import specifiers to the `.ts` sources.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { default: setup } = await tsImport('./jest-global-setup.ts', import.meta.url);
  await setup();
}
