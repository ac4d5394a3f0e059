/**
 * Two esbuild plugins that make the agent one file that runs with no node_modules and no
 * source tree beside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Plugin } from 'esbuild';

/**
 * `readFileSync(new URL('./x', import.meta.url), 'utf8')` in the project's own modules (the
 * protobuf schema beside its codec) becomes the file's text: in a bundle, import.meta.url is
 * the bundle, with nothing beside it. A file named this way that does not exist fails the build.
 */
export function inlineFilesReadBesideModules(): Plugin {
  const pattern = /readFileSync\(\s*new URL\(\s*(['"])([^'"]+)\1\s*,\s*import\.meta\.url\s*\)\s*,\s*(['"])utf-?8\3\s*\)/g;
  return {
    name: 'inline-files-read-beside-modules',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        if (/[\\/]node_modules[\\/]/.test(args.path)) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const watchFiles: string[] = [];
        const contents = source.replace(pattern, (_call, _quote: string, relative: string) => {
          const file = resolve(dirname(args.path), relative);
          if (!existsSync(file)) throw new Error(`${args.path} reads ${relative} at run time, and there is no ${file} to put into the bundle`);
          watchFiles.push(file);
          return JSON.stringify(readFileSync(file, 'utf8'));
        });
        if (watchFiles.length === 0) return undefined;
        return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js', resolveDir: dirname(args.path), watchFiles };
      });
    },
  };
}

/**
 * Packages that dependencies load at start-up for features the agent never uses. Each becomes
 * a module whose every export throws when called, naming the package, so an unexpected use
 * fails loudly instead of the bundle carrying megabytes nobody runs.
 */
export function leaveOutPackages(packages: Record<string, string>): Plugin {
  const names = Object.keys(packages);
  const filter = new RegExp(`^(${names.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})(/.*)?$`);
  return {
    name: 'leave-out-packages',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'left-out' }));
      build.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => {
        const name = names.find((candidate) => args.path === candidate || args.path.startsWith(`${candidate}/`)) ?? args.path;
        const message = `${name} is not part of the agent bundle (${packages[name] ?? 'not needed by the agent'})`;
        return {
          // A function, not an arrow: constructing a left-out class must reach the throw, and an arrow cannot be constructed.
          contents: `function fail() { throw new Error(${JSON.stringify(message)}); }
const unused = (key) => typeof key === 'symbol' || key === '__esModule' || key === 'then';
module.exports = new Proxy({}, { get: (_target, key) => (unused(key) ? undefined : new Proxy(fail, { construct: fail })) });`,
          loader: 'js',
        };
      });
    },
  };
}
