// Guest shim for node:module: createRequire returns a require() that knows the Node built-ins (shimmed or
// unavailable) but cannot load files at run time (everything was bundled ahead of time).
import { builtin } from './builtins.ts';

/** A require() for built-ins only. */
export function createRequire(): (id: string) => unknown {
  return (id: string) => {
    const found = builtin(id);
    if (found !== undefined) return found;
    throw Object.assign(
      new Error(
        `mcp-warden: require('${id}') at run time is not available under --profile isolate ` +
          '(the server was bundled ahead of time; only modules it imports statically exist)',
      ),
      { code: 'MODULE_NOT_FOUND' },
    );
  };
}
export const isBuiltin = (id: string): boolean => builtin(id) !== undefined;
export const builtinModules: string[] = [];
export default { createRequire, isBuiltin, builtinModules };
