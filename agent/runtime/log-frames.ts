/**
 * The Docker Engine API sends the log of a container without a TTY as frames, so stdout and
 * stderr can share one connection: an 8-byte header (stream type, three zero bytes, payload
 * length as a 32-bit big-endian number) and then the payload. Podman's compatible API does
 * the same. A person reading the log wants the payloads, in order, and nothing else.
 */
import { Transform, type TransformCallback } from 'node:stream';

const HEADER_BYTES = 8;

/** Stream types of a frame header: what the engine may send on a log connection. */
const STREAM_TYPES = new Set([0, 1, 2]);

/** Strips the frame headers from an engine's log stream; chunks may break anywhere, even inside a header. */
export class LogFrameDemuxer extends Transform {
  #pending: Buffer = Buffer.alloc(0);
  /** Payload bytes still to pass on from the frame being read. */
  #remaining = 0;

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback): void {
    let input = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    while (input.length > 0) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, input.length);
        this.push(input.subarray(0, take));
        this.#remaining -= take;
        input = input.subarray(take);
        continue;
      }
      this.#pending = this.#pending.length === 0 ? input : Buffer.concat([this.#pending, input]);
      input = Buffer.alloc(0);
      if (this.#pending.length < HEADER_BYTES) break;
      const type = this.#pending[0] ?? -1;
      if (!STREAM_TYPES.has(type)) {
        done(new Error(`the engine's log stream is not framed as expected (stream type ${type})`));
        return;
      }
      this.#remaining = this.#pending.readUInt32BE(4);
      input = this.#pending.subarray(HEADER_BYTES);
      this.#pending = Buffer.alloc(0);
    }
    done();
  }
}
