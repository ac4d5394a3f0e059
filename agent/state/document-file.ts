/**
 * One JSON document on the agent's disk, written whole to a temporary file, synced and
 * renamed into place, so a power cut leaves either the old or the new file and never a torn
 * one.
 *
 * Writes never block the event loop: on an SD card one can take tens of milliseconds, which
 * heartbeats and MQTT keepalives must not wait for. Changes made while a write is on its way
 * are written together by the next one, and a document that reads as it was last written is
 * not written again.
 */
import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';

/** Told of a write that failed (a full or read-only disk); the change is tried again at the next flush. */
export type WriteFailureReporter = (error: Error) => void;

export class DocumentFile {
  readonly #path: string;
  readonly #render: () => string;
  readonly #onWriteFailure: WriteFailureReporter;
  /** Changed since the text last handed to a write was taken. */
  #dirty = false;
  /** Settles when no write is running or due; undefined when idle. */
  #writing: Promise<void> | undefined;
  /** The text on disk as far as this process knows. */
  #written: string | undefined;

  /**
   * `render` gives the document's text as it is now; it is called when a write starts.
   * `unchanged` is a text that needs no write: what is on disk, or what reads back the same
   * as a missing file.
   */
  constructor(path: string, render: () => string, onWriteFailure: WriteFailureReporter, unchanged?: string) {
    this.#path = path;
    this.#render = render;
    this.#onWriteFailure = onWriteFailure;
    this.#written = unchanged;
  }

  /** The parsed document, or undefined when there is none or it cannot be read. */
  static read(path: string): unknown {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  /** The document changed; flush() writes it. */
  changed(): void {
    this.#dirty = true;
  }

  /** Starts writing the document if it changed; see flushed() to wait for it. Never throws. */
  flush(): void {
    if (!this.#dirty) return;
    this.#writing ??= this.#writeWhileDirty();
  }

  /** Resolves once every change flushed so far is on disk, or its write has failed and been reported. */
  async flushed(): Promise<void> {
    await this.#writing;
  }

  async #writeWhileDirty(): Promise<void> {
    // Changes made in the same turn as the flush that started this join its write.
    await Promise.resolve();
    try {
      while (this.#dirty) {
        this.#dirty = false;
        const text = this.#render();
        if (text === this.#written) continue;
        try {
          await writeAtomically(this.#path, text);
          this.#written = text;
        } catch (error) {
          this.#dirty = true;
          this.#onWriteFailure(error as Error);
          return;
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }
}

/** Old or new content after a power cut, never a mix: write aside, sync, rename over. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}
