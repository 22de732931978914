/**
 * The entry URL of a journal worker thread module (`name` without extension, next to this file):
 * the compiled module, or (tests, run from the TypeScript sources) a bootstrap that installs the
 * TypeScript loader in the worker first, since Node 20 does not carry the parent's `--import`
 * hooks into worker threads.
 */
export function workerEntry(name: string): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL(`./${name}.js`, import.meta.url);
  const target = new URL(`./${name}.ts`, import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(target)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}
