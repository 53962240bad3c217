#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the `prepare` script).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    console.error('filesearch: not built yet. Run `npm ci` (or `npm run build`) in the project folder first.');
    process.exit(2);
  }
  throw err;
});
