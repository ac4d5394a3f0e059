/**
 * What the agent keeps on its own disk so a device runs its pods after a reboot with the
 * hub out of reach: the last desired state, the bdSeq counter and per-container records
 * (restart counts, back-off). One small document, written whole and atomically (see
 * document-file.ts); no database engine is loaded on a 512 MB board for it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DesiredStateMessage } from '../../shared/proto/codec.js';
import { DocumentFile, type WriteFailureReporter } from './document-file.js';

export type { WriteFailureReporter } from './document-file.js';

/** What the agent remembers of one container of one pod, keyed by `uid/container`. */
export interface ContainerMemory {
  restartCount: number;
  /** No restart before this time (epoch ms): crash-loop back-off. */
  backoffUntil?: number;
  /** The engine's finish time of the exit that set the back-off, so one exit counts once. */
  handledFinishedAt?: number;
  /** Last failure to create or start, shown as the container's waiting reason. */
  lastError?: { reason: string; message: string };
  /** The engine's finish time of the last exit reported as an event, so each exit is told once. */
  exitReportedAt?: number;
}

export interface LocalStateDocument {
  bdSeq: number;
  desired?: DesiredStateMessage;
  containers: Record<string, ContainerMemory>;
}

const FILE = 'state.json';

export class LocalState {
  readonly #file: DocumentFile;
  #document: LocalStateDocument;

  private constructor(dir: string, document: LocalStateDocument, onWriteFailure: WriteFailureReporter) {
    this.#document = document;
    this.#file = new DocumentFile(join(dir, FILE), () => JSON.stringify(this.#document), onWriteFailure);
  }

  static open(dir: string, onWriteFailure: WriteFailureReporter = () => undefined): LocalState {
    mkdirSync(dir, { recursive: true });
    // None yet, or an unreadable file: start empty, the hub sends the desired state again.
    const parsed = (DocumentFile.read(join(dir, FILE)) ?? {}) as Partial<LocalStateDocument>;
    const document: LocalStateDocument = {
      bdSeq: typeof parsed.bdSeq === 'number' ? parsed.bdSeq : 0,
      containers: typeof parsed.containers === 'object' && parsed.containers !== null ? parsed.containers : {},
      ...(parsed.desired ? { desired: parsed.desired } : {}),
    };
    return new LocalState(dir, document, onWriteFailure);
  }

  get document(): Readonly<LocalStateDocument> {
    return this.#document;
  }

  /** Takes the next bdSeq and persists it, so a restarted agent never reuses one. */
  nextBdSeq(): number {
    this.#document.bdSeq = (this.#document.bdSeq + 1) % 2 ** 32;
    this.#file.changed();
    this.flush();
    return this.#document.bdSeq;
  }

  /** Records the bdSeq a reconnect moved on to. */
  rememberBdSeq(bdSeq: number): void {
    if (this.#document.bdSeq === bdSeq) return;
    this.#document.bdSeq = bdSeq;
    this.#file.changed();
    this.flush();
  }

  setDesired(desired: DesiredStateMessage | undefined): void {
    if (desired === undefined) delete this.#document.desired;
    else this.#document.desired = desired;
    this.#file.changed();
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
    this.#file.changed();
  }

  /** Forgets containers whose pods are no longer desired. */
  retainContainers(keys: ReadonlySet<string>): void {
    for (const key of Object.keys(this.#document.containers)) {
      if (!keys.has(key)) {
        delete this.#document.containers[key];
        this.#file.changed();
      }
    }
  }

  /** Starts writing the document if it changed; see flushed() to wait for it. Never throws. */
  flush(): void {
    this.#file.flush();
  }

  /** Resolves once every change flushed so far is on disk, or its write has failed and been reported. */
  async flushed(): Promise<void> {
    await this.#file.flushed();
  }
}
