/**
 * What the agent keeps on its own disk so a device runs its pods after a reboot with the
 * hub out of reach: the last desired state, the bdSeq counter and per-container records
 * (restart counts, back-off). Two small documents, written whole by rename, so a power cut
 * leaves either the old or the new file and never a torn one; no database engine is loaded
 * on a 512 MB board for them.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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

export class LocalState {
  readonly #path: string;
  #document: LocalStateDocument;
  #dirty = false;

  private constructor(dir: string, document: LocalStateDocument) {
    this.#path = join(dir, FILE);
    this.#document = document;
  }

  static open(dir: string): LocalState {
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
    return new LocalState(dir, document);
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

  flush(): void {
    if (!this.#dirty) return;
    const temporary = `${this.#path}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.#document));
    renameSync(temporary, this.#path);
    this.#dirty = false;
  }
}
