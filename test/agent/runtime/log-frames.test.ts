import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import t from 'tap';
import { LogFrameDemuxer } from '../../../agent/runtime/log-frames.js';

function frame(type: number, payload: string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

async function demux(chunks: Buffer[]): Promise<string> {
  return text(Readable.from(chunks, { objectMode: false }).pipe(new LogFrameDemuxer()));
}

t.test('passes on stdout and stderr payloads in the order written, without their headers', async (t) => {
  t.equal(await demux([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]), 'out 1\nerr 1\nout 2\n');
});

t.test('reads frames however the connection cuts them, inside a header or a payload', async (t) => {
  const whole = Buffer.concat([frame(1, 'first line\n'), frame(2, 'second, longer line\n'), frame(1, 'x')]);
  for (const size of [1, 3, 7, 8, 9, 13]) {
    const pieces: Buffer[] = [];
    for (let at = 0; at < whole.length; at += size) pieces.push(whole.subarray(at, at + size));
    t.equal(await demux(pieces), 'first line\nsecond, longer line\nx', `pieces of ${size} bytes`);
  }
});

t.test('an empty frame adds nothing', async (t) => {
  t.equal(await demux([frame(1, ''), frame(1, 'a\n')]), 'a\n');
});

t.test('fails on a stream that is not framed, instead of printing headers as text', async (t) => {
  await t.rejects(demux([Buffer.from('plain text, no frames\n')]), /not framed as expected/);
});
