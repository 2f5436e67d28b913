// Lets Node run the TypeScript app directly (cdktf.json: `node --require ./scripts/ts-register.cjs main.ts`):
// every .ts file is compiled to CommonJS by esbuild's transform as it is required, one file at a time, so
// __dirname and the module layout stay those of the source. No type check here, as with ts-node's
// --transpile-only before it: `npx tsc --noEmit` checks the types (scripts/test.sh). esbuild instead of
// ts-node because loading the TypeScript compiler and compiling each file with it took most of the app's
// time in `cdktf synth` (README "Synth time").
'use strict';
const fs = require('fs');
const path = require('path');
const { transformSync } = require('esbuild');

// The project's compiler options (target, class fields ...) decide the output, as they did for ts-node.
const tsconfigRaw = fs.readFileSync(path.join(__dirname, '..', 'tsconfig.json'), 'utf8');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    loader: 'ts',
    format: 'cjs',
    target: 'node20',
    sourcefile: filename,
    // With NODE_OPTIONS=--enable-source-maps stack traces name the .ts lines. Not on by default: Node then
    // parses the source maps of every module it loads, a tenth of the synth.
    sourcemap: 'inline',
    tsconfigRaw,
  });
  module._compile(code, filename);
};
