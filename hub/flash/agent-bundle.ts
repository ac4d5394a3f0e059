/**
 * The agent as one JavaScript file for Node.js 20 (`flotilla-agent.mjs`), built with esbuild
 * from the `flotilla-agent` entry: every dependency and the protobuf schema inside, nothing
 * native, so it runs on a device with no node_modules and no source tree.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { inlineFilesReadBesideModules, leaveOutPackages } from './esbuild-plugins.js';

/** Dependencies of dependencies the agent never runs, and why. */
export const LEFT_OUT_PACKAGES: Record<string, string> = {
  '@grpc/grpc-js': "dockerode's BuildKit sessions, for building images",
  '@grpc/proto-loader': "dockerode's BuildKit sessions, for building images",
  ssh2: 'Docker over SSH; the agent talks to the local engine socket',
};

/**
 * CommonJS dependencies call require() for Node's own modules, which an ES module does not
 * have: one made from the bundle's own URL stands in.
 */
const REQUIRE_SHIM = "import { createRequire as __flotillaCreateRequire } from 'node:module';\nconst require = __flotillaCreateRequire(import.meta.url);";

/** The entry beside this module's directory: .ts when run from source, .js when built. */
function entryPoint(): string {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`../cli/agent-main.${extension}`, import.meta.url));
}

/**
 * The bundle's text. Build problems (an import that does not resolve) throw with esbuild's
 * messages. Not minified: that would halve the file (3.9 to 1.7 MB; 670 to 490 kB gzipped)
 * but save no memory once running (about 85 MB RSS either way), and a stack trace in a
 * device's journal should name functions and lines a person can find.
 */
export async function buildAgentBundle(): Promise<string> {
  const result = await build({
    entryPoints: [entryPoint()],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    outfile: 'flotilla-agent.mjs',
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: REQUIRE_SHIM },
    plugins: [inlineFilesReadBesideModules(), leaveOutPackages(LEFT_OUT_PACKAGES)],
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error('esbuild produced no agent bundle');
  return output.text;
}
