// Entry point of the @switchyard/client package: re-exports the build of packages/client/src,
// which the repository's root tsconfig.json compiles to dist/packages/client/src/ (run
// `npm run build` first). The package has no build of its own.
export * from '../../dist/packages/client/src/index.js';
