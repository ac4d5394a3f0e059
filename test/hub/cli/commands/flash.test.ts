/** `flotilla flash` as people type it: what it refuses before doing any work, and how. */
import t from 'tap';
import { runCli, type CliRun } from '../../../helpers/run-cli.js';

const TOKEN = `flotilla1.${Buffer.from(JSON.stringify({ hub: 'https://hub.example:7080', ca: `sha256:${'ab'.repeat(32)}`, id: 'abc123' })).toString('base64url')}.${Buffer.alloc(32, 1).toString('base64url')}`;

function flotilla(args: string[]): Promise<CliRun> {
  return runCli(args);
}

t.test('flash without --out or --target is a usage error that says what each does', async (t) => {
  const result = await flotilla(['flash', '--profile', 'raspberry-pi-4', '--token', TOKEN]);
  t.equal(result.code, 2);
  t.match(result.stderr, /error: say where the bundle goes: --out or --target/);
  t.match(result.stderr, /hint: --out <dir or file.tar.gz> makes a bundle to copy to the device; --target <dir> writes into a mounted root filesystem/);
});

t.test('flash with both --out and --target is a usage error', async (t) => {
  const result = await flotilla(['flash', '--profile', 'raspberry-pi-4', '--token', TOKEN, '--out', 'x.tar.gz', '--target', '/mnt']);
  t.equal(result.code, 2);
  t.match(result.stderr, /give --out or --target, not both/);
});

t.test('flash without --token is a usage error, though the CLI has a global --token too', async (t) => {
  const result = await flotilla(['flash', '--profile', 'raspberry-pi-4', '--out', 'x.tar.gz']);
  t.equal(result.code, 2);
  t.match(result.stderr, /--token is required: the join token the device enrols with/);
});

t.test('flash with an unknown profile names the profiles there are', async (t) => {
  const result = await flotilla(['flash', '--profile', 'toaster-9000', '--token', TOKEN, '--out', 'x.tar.gz']);
  t.equal(result.code, 1);
  t.match(result.stderr, /no firmware profile named "toaster-9000"/);
  t.match(result.stderr, /raspberry-pi-4/);
});

t.test('flash --help lists its options and examples', async (t) => {
  const result = await flotilla(['flash', '--help']);
  t.equal(result.code, 0);
  for (const option of ['--profile', '--token', '--out', '--target', '--name', '--labels', '--ca-file', '--node-binary']) t.match(result.stdout, option);
  t.match(result.stdout, /flotilla flash --profile raspberry-pi-4 --token "\$TOKEN" --target/);
});
