// Loaded with `node --import`: prints every module URL the process resolves, one per line on fd 3 ... or stderr
// prefixed, so a test can see which packages a command loaded.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  process.stderr.write('IMPORTED ' + result.url + '\\n');
  return result;
}`),
);
