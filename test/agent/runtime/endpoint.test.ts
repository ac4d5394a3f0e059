import t from 'tap';
import { ENDPOINT_ENV, engineSocketCandidates, parseEngineEndpoint, resolveEngineEndpoint } from '../../../agent/runtime/endpoint.js';
import { hasCode } from '../../../shared/errors.js';

const nothingExists = (): boolean => false;

t.test('uses the endpoint it is given, before the environment and the sockets on disk', async (t) => {
  const endpoint = resolveEngineEndpoint('http://10.0.0.5:2375', { env: { [ENDPOINT_ENV]: '/env.sock' }, exists: () => true });
  t.equal(endpoint, 'http://10.0.0.5:2375');
});

t.test('uses FLOTILLA_RUNTIME_ENDPOINT when no endpoint is given', async (t) => {
  t.equal(resolveEngineEndpoint(undefined, { env: { [ENDPOINT_ENV]: '/srv/engine.sock' }, exists: () => true }), '/srv/engine.sock');
});

t.test('takes the first engine socket that exists, Podman before Docker before balenaEngine', async (t) => {
  const present = new Set(['/var/run/docker.sock', '/var/run/balena-engine.sock']);
  t.equal(resolveEngineEndpoint(undefined, { env: {}, exists: (path) => present.has(path) }), '/var/run/docker.sock');
  present.add('/run/podman/podman.sock');
  t.equal(resolveEngineEndpoint(undefined, { env: {}, exists: (path) => present.has(path) }), '/run/podman/podman.sock');
});

t.test("finds rootless Podman's socket under XDG_RUNTIME_DIR", async (t) => {
  const env = { XDG_RUNTIME_DIR: '/run/user/1000' };
  t.same(engineSocketCandidates(env).at(-1), '/run/user/1000/podman/podman.sock');
  t.equal(resolveEngineEndpoint(undefined, { env, exists: (path) => path.startsWith('/run/user/') }), '/run/user/1000/podman/podman.sock');
});

t.test('says which sockets it tried and how to start Podman when none exists', async (t) => {
  const error = (() => {
    try {
      resolveEngineEndpoint(undefined, { env: { XDG_RUNTIME_DIR: '/run/user/7' }, exists: nothingExists });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  t.ok(hasCode(error, 'Unavailable'));
  const message = (error as Error).message;
  for (const path of ['/run/podman/podman.sock', '/var/run/docker.sock', '/var/run/balena-engine.sock', '/run/user/7/podman/podman.sock']) {
    t.match(message, path, `names ${path}`);
  }
  t.match((error as { hint?: string }).hint, /podman system service --time=0 unix:\/\/\/run\/podman\/podman\.sock/);
  t.match((error as { hint?: string }).hint, ENDPOINT_ENV);
});

t.test('reads socket paths, unix:// URLs and TCP endpoints', async (t) => {
  t.same(parseEngineEndpoint('/var/run/docker.sock'), { socketPath: '/var/run/docker.sock' });
  t.same(parseEngineEndpoint('unix:///run/podman/podman.sock'), { socketPath: '/run/podman/podman.sock' });
  t.same(parseEngineEndpoint('http://10.0.0.5:2375'), { protocol: 'http', host: '10.0.0.5', port: 2375 });
  t.same(parseEngineEndpoint('tcp://engine.local:2375'), { protocol: 'http', host: 'engine.local', port: 2375 });
  t.same(parseEngineEndpoint('https://engine.local'), { protocol: 'https', host: 'engine.local', port: 2376 });
  t.same(parseEngineEndpoint('http://[::1]:2375'), { protocol: 'http', host: '::1', port: 2375 });
});

t.test('refuses an endpoint that is neither a socket path nor a URL, naming it', async (t) => {
  t.throws(() => parseEngineEndpoint('docker.sock'), { code: 'Invalid', message: /"docker\.sock"/ });
  t.throws(() => parseEngineEndpoint('ftp://engine:21'), { code: 'Invalid' });
});
