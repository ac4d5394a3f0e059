/** Tarballs read back by the system's tar, as a person unpacks a bundle on the device. */
import { execFile } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { tarGz } from '../../../hub/flash/tar.js';
import { tempDir } from './fixtures.js';

const run = promisify(execFile);

t.test("a tarball unpacks with tar into the files, directories and modes it was given, owned by root", async (t) => {
  const dir = await tempDir(t, 'tar');
  const longName = `${'deep/'.repeat(25)}file.txt`;
  const archive = tarGz([
    { path: 'bundle/', mode: 0o755 },
    { path: 'bundle/install.sh', mode: 0o755, content: '#!/bin/sh\necho hi\n' },
    { path: 'bundle/secret.env', mode: 0o600, content: 'TOKEN=x\n' },
    { path: 'bundle/empty', mode: 0o644, content: '' },
    { path: 'bundle/block', mode: 0o644, content: Buffer.alloc(512, 7) },
    { path: `bundle/${longName}`, mode: 0o644, content: 'far down\n' },
  ]);
  await writeFile(join(dir, 'b.tar.gz'), archive);

  const { stdout: listing } = await run('tar', ['-tvzf', join(dir, 'b.tar.gz'), '--numeric-owner']);
  for (const line of listing.trim().split('\n')) t.match(line, /^\S+ 0\/0 /, `owned by root: ${line}`);

  await run('tar', ['-xzf', join(dir, 'b.tar.gz'), '-C', dir]);
  t.equal(readFileSync(join(dir, 'bundle/install.sh'), 'utf8'), '#!/bin/sh\necho hi\n');
  t.equal(lstatSync(join(dir, 'bundle/install.sh')).mode & 0o777, 0o755);
  t.equal(lstatSync(join(dir, 'bundle/secret.env')).mode & 0o777, 0o600);
  t.equal(readFileSync(join(dir, 'bundle/empty'), 'utf8'), '');
  t.same(readFileSync(join(dir, 'bundle/block')), Buffer.alloc(512, 7), 'a file of exactly one block');
  t.equal(readFileSync(join(dir, 'bundle', longName), 'utf8'), 'far down\n', 'a path longer than 100 bytes');
});

t.test('a path too long for the format is refused rather than cut', async (t) => {
  t.throws(() => tarGz([{ path: 'x'.repeat(300), mode: 0o644, content: '' }]), /path too long for a tar archive/);
});
