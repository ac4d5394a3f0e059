/**
 * The layout of `describe`: `Label:  value` lines whose values line up within a block,
 * nested blocks indented by two spaces, multi-line values continued under the value column.
 */
import type { Container, FlotillaEvent, PodTemplate } from '../../../shared/objects.js';
import { byLastSeen, eventAge, oneLine } from './events.js';
import { NONE, alignColumns } from './table.js';

type Line = { kind: 'field'; label: string; value: string[] } | { kind: 'text'; text: string };

export class Description {
  private readonly lines: Line[] = [];

  /** `Label:  value`; an empty value prints `<none>`, several values continue on the next lines. */
  field(label: string, value: string | readonly string[] | undefined): this {
    const values = typeof value === 'string' ? [value] : [...(value ?? [])];
    const shown = values.length === 0 || (values.length === 1 && values[0] === '') ? [NONE] : values;
    this.lines.push({ kind: 'field', label: `${label}:`, value: shown });
    return this;
  }

  /** A heading (`Containers:`) or any line printed as it is. */
  text(text: string): this {
    this.lines.push({ kind: 'text', text });
    return this;
  }

  /** A nested block, indented by two spaces under the previous line. */
  nested(build: (inner: Description) => void): this {
    const inner = new Description();
    build(inner);
    for (const line of inner.render().replace(/\n$/, '').split('\n')) this.lines.push({ kind: 'text', text: `  ${line}` });
    return this;
  }

  render(): string {
    const out: string[] = [];
    let run: { label: string; value: string[] }[] = [];
    const flush = (): void => {
      const width = Math.max(...run.map((field) => field.label.length)) + 2;
      for (const field of run) {
        const [first, ...rest] = field.value;
        out.push(`${field.label.padEnd(width)}${first ?? ''}`.trimEnd());
        for (const more of rest) out.push(`${' '.repeat(width)}${more}`.trimEnd());
      }
      run = [];
    };
    for (const line of this.lines) {
      if (line.kind === 'field') run.push(line);
      else {
        if (run.length > 0) flush();
        out.push(line.text);
      }
    }
    if (run.length > 0) flush();
    return out.map((line) => `${line}\n`).join('');
  }
}

/** `key=value` lines sorted by key, for Labels and Annotations. */
export function mapLines(map: Record<string, string> | undefined): string[] {
  return Object.entries(map ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`);
}

/** A workload's pod template (Deployment, DaemonSet, a revision of either), as kubectl lays it out. */
export function describePodTemplate(out: Description, template: PodTemplate): void {
  out.text('Pod Template:').nested((inner) => {
    inner.field('Labels', mapLines(template.metadata?.labels));
    if (template.metadata?.annotations !== undefined) inner.field('Annotations', mapLines(template.metadata.annotations));
    if (template.spec.deviceSelector !== undefined) inner.field('Device Selector', template.spec.deviceSelector);
    if (template.spec.nodeSelector !== undefined) inner.field('Node Selector', mapLines(template.spec.nodeSelector));
    inner.text('Containers:');
    for (const container of template.spec.containers) {
      inner.nested((block) => block.text(`${container.name}:`).nested((spec) => describeContainerSpec(spec, container)));
    }
  });
}

/** A container's spec: image, command, args, ports, limits, environment. */
export function describeContainerSpec(out: Description, container: Container): void {
  out.field('Image', container.image);
  if (container.imagePullPolicy !== undefined) out.field('Image Pull Policy', container.imagePullPolicy);
  if (container.command !== undefined && container.command.length > 0) {
    out.text('Command:').nested((inner) => container.command?.forEach((part) => inner.text(part)));
  }
  if (container.args !== undefined && container.args.length > 0) {
    out.text('Args:').nested((inner) => container.args?.forEach((part) => inner.text(part)));
  }
  const ports = container.ports ?? [];
  out.field('Port', ports.length === 0 ? '' : ports.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', '));
  out.field('Host Port', ports.length === 0 ? '' : ports.map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`).join(', '));
  for (const [title, list] of [
    ['Limits', container.resources?.limits],
    ['Requests', container.resources?.requests],
  ] as const) {
    if (list !== undefined && Object.keys(list).length > 0) {
      out.text(`${title}:`).nested((inner) => {
        for (const [name, quantity] of Object.entries(list)) inner.field(name, quantity);
      });
    }
  }
  if (container.env === undefined || container.env.length === 0) out.field('Environment', '');
  else {
    out.text('Environment:').nested((inner) => {
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        inner.field(variable.name, ref === undefined ? (variable.value ?? '') : `<set to the key '${ref.key}' in secret '${ref.name}'>${ref.optional === true ? ' (optional)' : ''}`);
      }
    });
  }
}

/** `Events:` with kubectl describe's table, or `<none>`. */
export function describeEvents(out: Description, events: readonly FlotillaEvent[], now: number): void {
  if (events.length === 0) {
    out.field('Events', '');
    return;
  }
  const rows = byLastSeen(events).map((event) => [event.type, event.reason, eventAge(event, now), event.source, oneLine(event.message)]);
  const table = alignColumns(
    [['Type', 'Reason', 'Age', 'From', 'Message'], ['----', '------', '----', '----', '-------'], ...rows],
    '  ',
  );
  out.text('Events:');
  for (const line of table.replace(/\n$/, '').split('\n')) out.text(line);
}
