// The package ships JavaScript only; espeak-worker.ts describes the parts it uses.
declare module '@echogarden/espeak-ng-emscripten' {
  const factory: () => Promise<unknown>;
  export default factory;
}
