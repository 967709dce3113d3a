// Loaded with `node --import`: prints every module URL the process resolves on stderr, one per line, prefixed,
// so a test can see which packages a command loaded.
import * as module from 'node:module';

// Node 22.15+ and 24 have in-thread hooks (registerHooks): what they write reaches stderr before a
// process.exit(). The off-thread hooks of module.register (all Node 20 has) lose their last writes there on
// Node 24, so they are only the fallback.
if (typeof module.registerHooks === 'function') {
  module.registerHooks({
    resolve(specifier, context, next) {
      const result = next(specifier, context);
      process.stderr.write('IMPORTED ' + result.url + '\n');
      return result;
    },
  });
} else {
  module.register(
    'data:text/javascript,' +
      encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  process.stderr.write('IMPORTED ' + result.url + '\\n');
  return result;
}`),
  );
}
