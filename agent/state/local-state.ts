/**
 * What the agent keeps on its own disk so a device runs its pods after a reboot with the
 * hub out of reach: the last desired state, the bdSeq counter and per-container records
 * (restart counts, back-off). One small document, written whole to a temporary file, synced
 * and renamed into place, so a power cut leaves either the old or the new file and never a
 * torn one; no database engine is loaded on a 512 MB board for it.
 *
 * Writes never block the event loop: on an SD card one can take tens of milliseconds, which
 * heartbeats and MQTT keepalives must not wait for. Changes made while a write is on its way
 * are written together by the next one.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { DesiredStateMessage } from '../../shared/proto/codec.js';

/** What the agent remembers of one container of one pod, keyed by `uid/container`. */
export interface ContainerMemory {
  restartCount: number;
  /** No restart before this time (epoch ms): crash-loop back-off. */
  backoffUntil?: number;
  /** The engine's finish time of the exit that set the back-off, so one exit counts once. */
  handledFinishedAt?: number;
  /** Last failure to create or start, shown as the container's waiting reason. */
  lastError?: { reason: string; message: string };
}

export interface LocalStateDocument {
  bdSeq: number;
  desired?: DesiredStateMessage;
  containers: Record<string, ContainerMemory>;
}

const FILE = 'state.json';

/** Told of a write that failed (a full or read-only disk); the change is tried again at the next flush. */
export type WriteFailureReporter = (error: Error) => void;

export class LocalState {
  readonly #path: string;
  readonly #onWriteFailure: WriteFailureReporter;
  #document: LocalStateDocument;
  /** Changed since the text last handed to a write was taken. */
  #dirty = false;
  /** Settles when no write is running or due; undefined when idle. */
  #writing: Promise<void> | undefined;

  private constructor(dir: string, document: LocalStateDocument, onWriteFailure: WriteFailureReporter) {
    this.#path = join(dir, FILE);
    this.#document = document;
    this.#onWriteFailure = onWriteFailure;
  }

  static open(dir: string, onWriteFailure: WriteFailureReporter = () => undefined): LocalState {
    mkdirSync(dir, { recursive: true });
    let document: LocalStateDocument = { bdSeq: 0, containers: {} };
    try {
      const parsed = JSON.parse(readFileSync(join(dir, FILE), 'utf8')) as Partial<LocalStateDocument>;
      document = {
        bdSeq: typeof parsed.bdSeq === 'number' ? parsed.bdSeq : 0,
        containers: parsed.containers ?? {},
        ...(parsed.desired ? { desired: parsed.desired } : {}),
      };
    } catch {
      // First start, or an unreadable file: start empty, the hub sends the desired state again.
    }
    return new LocalState(dir, document, onWriteFailure);
  }

  get document(): Readonly<LocalStateDocument> {
    return this.#document;
  }

  /** Takes the next bdSeq and persists it, so a restarted agent never reuses one. */
  nextBdSeq(): number {
    this.#document.bdSeq = (this.#document.bdSeq + 1) % 2 ** 32;
    this.#dirty = true;
    this.flush();
    return this.#document.bdSeq;
  }

  /** Records the bdSeq a reconnect moved on to. */
  rememberBdSeq(bdSeq: number): void {
    if (this.#document.bdSeq === bdSeq) return;
    this.#document.bdSeq = bdSeq;
    this.#dirty = true;
    this.flush();
  }

  setDesired(desired: DesiredStateMessage | undefined): void {
    if (desired === undefined) delete this.#document.desired;
    else this.#document.desired = desired;
    this.#dirty = true;
  }

  container(key: string): ContainerMemory {
    let memory = this.#document.containers[key];
    if (memory === undefined) {
      memory = { restartCount: 0 };
      this.#document.containers[key] = memory;
    }
    return memory;
  }

  updateContainer(key: string, change: Partial<ContainerMemory>): void {
    Object.assign(this.container(key), change);
    this.#dirty = true;
  }

  /** Forgets containers whose pods are no longer desired. */
  retainContainers(keys: ReadonlySet<string>): void {
    for (const key of Object.keys(this.#document.containers)) {
      if (!keys.has(key)) {
        delete this.#document.containers[key];
        this.#dirty = true;
      }
    }
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
        try {
          await writeAtomically(this.#path, JSON.stringify(this.#document));
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
