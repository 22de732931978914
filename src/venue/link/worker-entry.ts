/**
 * The URL to start a worker module from: the compiled `.js` next to the caller in production, or,
 * when running from the TypeScript sources (tests, `tsx`), a bootstrap that installs the
 * TypeScript loader in the worker first, since Node 20 does not carry the parent's `--import`
 * hooks into worker threads (same approach as src/journal/io-thread.ts).
 */
export function workerEntry(callerUrl: string, relativeNoExt: string): URL {
  if (!callerUrl.endsWith('.ts')) return new URL(`${relativeNoExt}.js`, callerUrl);
  const target = new URL(`${relativeNoExt}.ts`, callerUrl).href;
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(target)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}
