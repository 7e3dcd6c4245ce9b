import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * URL of a worker module beside `fromUrl` (pass `import.meta.url`): the compiled `.js` in a build,
 * the `.ts` source when running from source (tests).
 */
export function siblingModule(fromUrl: string, name: string): URL {
  const ext = fromUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, fromUrl);
}

/**
 * Starts a worker thread on a module. A `.ts` module (running from source) is loaded through
 * tsx's loader, registered inside the worker since loader flags are not inherited by workers.
 */
export function startWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, options);
  const bootstrap =
    `import('tsx/esm/api').then(({ register }) => { register(); ` +
    `return import(${JSON.stringify(moduleUrl.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
