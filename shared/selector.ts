/**
 * Label selectors with Kubernetes' grammar and meaning:
 *
 *   role=camera          role==camera        role!=camera
 *   site in (a,b)        site notin (a,b)
 *   gpu                  !decommissioned
 *
 * joined by "," (AND), whitespace anywhere between tokens. The empty selector matches
 * everything. `!=` and `notin` also match objects without the label, as in Kubernetes.
 *
 * Errors: `parseSelector` throws a `SelectorSyntaxError`, a FlotillaError('Invalid') whose
 * message quotes the selector and says what is wrong at which character, with details
 * `[{field: 'selector'}]`. Callers that report the selector under another field path (as
 * `spec.deviceSelector`) use its `problem`, which reads on its own without the selector text.
 */
import { FlotillaError, invalid } from './errors.js';
import type { FieldError } from './errors.js';
import { labelKeyProblem, labelValueProblem } from './labels.js';
import type { LabelSelectorObject, Labels } from './objects.js';

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals';

export interface Requirement {
  key: string;
  operator: Operator;
  /** One value for Equals/NotEquals, at least one for In/NotIn, none for Exists/DoesNotExist. */
  values: string[];
}

export class Selector {
  /** Sorted by key, values sorted and without duplicates: equal selectors print the same. */
  readonly requirements: readonly Requirement[];

  /** Takes requirements as they are; build selectors with the functions below, which check them. */
  constructor(requirements: readonly Requirement[]) {
    this.requirements = Object.freeze(canonicalRequirements(requirements));
  }

  static everything(): Selector {
    return EVERYTHING;
  }

  matches(labels: Labels | undefined): boolean {
    return this.requirements.every((requirement) => requirementMatches(requirement, labels ?? {}));
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  /** Both this selector and the other must match. */
  and(other: Selector): Selector {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    return new Selector([...this.requirements, ...other.requirements]);
  }

  equals(other: Selector): boolean {
    return this.toString() === other.toString();
  }

  /** The canonical text, `role=camera,site in (a,b)`; `parseSelector` reads it back as an equal selector. */
  toString(): string {
    return this.requirements.map(requirementText).join(',');
  }
}

const EVERYTHING = new Selector([]);

export class SelectorSyntaxError extends FlotillaError {
  /** Index (from 0) of the character where the problem is; messages count characters from 1. */
  readonly position: number;
  /** Where and what, without the selector text: `at character 12: expected "," or ")" ...`. */
  readonly problem: string;

  constructor(text: string, position: number, problem: string) {
    const message = `invalid label selector "${text}": ${problem}`;
    super('Invalid', message, {
      details: [{ field: 'selector', message: problem }],
      hint: 'write requirements such as role=camera,site in (a,b),!decommissioned',
    });
    this.position = position;
    this.problem = problem;
  }
}

/** Reads the text form. The empty (or all-blank) text is the selector that matches everything. */
export function parseSelector(text: string): Selector {
  return new Selector(new SelectorParser(text).parse());
}

/** What is wrong with a selector's text, or undefined when it parses. */
export function selectorProblem(text: string): string | undefined {
  try {
    parseSelector(text);
    return undefined;
  } catch (error) {
    if (error instanceof SelectorSyntaxError) return error.problem;
    throw error;
  }
}

/**
 * The structured form of Deployment.spec.selector. Throws FlotillaError('Invalid') whose
 * details have field paths relative to the selector object (`matchExpressions[0].values`).
 */
export function selectorFromObject(object: LabelSelectorObject): Selector {
  const problems: FieldError[] = [];
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(object.matchLabels ?? {})) {
    const field = `matchLabels[${JSON.stringify(key)}]`;
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem !== undefined) problems.push({ field, message: problem });
    else requirements.push({ key, operator: 'Equals', values: [value] });
  }
  (object.matchExpressions ?? []).forEach((expression, index) => {
    const field = `matchExpressions[${index}]`;
    const values = expression.values ?? [];
    const keyProblem = labelKeyProblem(expression.key);
    if (keyProblem !== undefined) problems.push({ field: `${field}.key`, message: keyProblem });
    if (!EXPRESSION_OPERATORS.includes(expression.operator)) {
      problems.push({
        field: `${field}.operator`,
        message: `unknown operator "${String(expression.operator)}"; use ${EXPRESSION_OPERATORS.join(', ')}`,
      });
      return;
    }
    const takesValues = expression.operator === 'In' || expression.operator === 'NotIn';
    if (takesValues && values.length === 0) {
      problems.push({
        field: `${field}.values`,
        message: `must list at least one value for operator ${expression.operator}`,
      });
    }
    if (!takesValues && values.length > 0) {
      problems.push({ field: `${field}.values`, message: `must be empty for operator ${expression.operator}` });
    }
    values.forEach((value, valueIndex) => {
      const problem = labelValueProblem(value);
      if (problem !== undefined) problems.push({ field: `${field}.values[${valueIndex}]`, message: problem });
    });
    requirements.push({ key: expression.key, operator: expression.operator, values: [...values] });
  });
  if (problems.length > 0) throw invalid('label selector', problems);
  return new Selector(requirements);
}

/** The selector that matches objects carrying all of these labels. */
export function selectorFromLabels(labels: Labels): Selector {
  return selectorFromObject({ matchLabels: labels });
}

const EXPRESSION_OPERATORS: readonly string[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function requirementMatches(requirement: Requirement, labels: Labels): boolean {
  const present = Object.hasOwn(labels, requirement.key);
  const value = present ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    case 'Equals':
    case 'In':
      return value !== undefined && requirement.values.includes(value);
    case 'NotEquals':
    case 'NotIn':
      return value === undefined || !requirement.values.includes(value);
  }
}

function requirementText(requirement: Requirement): string {
  const { key, values } = requirement;
  switch (requirement.operator) {
    case 'Exists':
      return key;
    case 'DoesNotExist':
      return `!${key}`;
    case 'Equals':
      return `${key}=${values[0] ?? ''}`;
    case 'NotEquals':
      return `${key}!=${values[0] ?? ''}`;
    case 'In':
      return `${key} in (${values.join(',')})`;
    case 'NotIn':
      return `${key} notin (${values.join(',')})`;
  }
}

const OPERATOR_ORDER: readonly Operator[] = ['Exists', 'DoesNotExist', 'Equals', 'NotEquals', 'In', 'NotIn'];

function canonicalRequirements(requirements: readonly Requirement[]): Requirement[] {
  const seen = new Set<string>();
  const canonical: Requirement[] = [];
  for (const requirement of requirements) {
    const values = [...new Set(requirement.values)].sort();
    const copy: Requirement = { key: requirement.key, operator: requirement.operator, values };
    Object.freeze(values);
    Object.freeze(copy);
    const text = requirementText(copy);
    if (seen.has(text)) continue;
    seen.add(text);
    canonical.push(copy);
  }
  return canonical.sort(
    (a, b) =>
      compare(a.key, b.key) ||
      OPERATOR_ORDER.indexOf(a.operator) - OPERATOR_ORDER.indexOf(b.operator) ||
      compare(a.values.join(','), b.values.join(',')),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- Parsing: a lexer as Kubernetes' (identifiers run until whitespace or a symbol), then
// ---- a recursive-descent parser over its tokens.

type TokenType = 'identifier' | 'in' | 'notin' | ',' | '=' | '==' | '!=' | '!' | '(' | ')' | '<' | '>' | 'end';

interface Token {
  type: TokenType;
  text: string;
  position: number;
}

const SYMBOLS = new Set(['=', '!', '(', ')', ',', '<', '>']);
const WHITESPACE = /\s/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i] ?? '';
    if (WHITESPACE.test(char)) {
      i += 1;
      continue;
    }
    if (SYMBOLS.has(char)) {
      const pair = text.slice(i, i + 2);
      const type: TokenType = pair === '==' || pair === '!=' ? pair : (char as TokenType);
      tokens.push({ type, text: type, position: i });
      i += type.length;
      continue;
    }
    const start = i;
    while (i < text.length && !WHITESPACE.test(text[i] ?? '') && !SYMBOLS.has(text[i] ?? '')) i += 1;
    const word = text.slice(start, i);
    const type: TokenType = word === 'in' || word === 'notin' ? word : 'identifier';
    tokens.push({ type, text: word, position: start });
  }
  tokens.push({ type: 'end', text: '', position: text.length });
  return tokens;
}

class SelectorParser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    if (this.peek().type === 'end') return requirements;
    for (;;) {
      requirements.push(this.requirement());
      const next = this.next();
      if (next.type === 'end') return requirements;
      if (next.type !== ',') {
        throw this.error(next, `expected "," between requirements, found ${describe(next)}`);
      }
    }
  }

  private requirement(): Requirement {
    const first = this.next();
    if (first.type === '!') {
      const key = this.key(this.next());
      return { key, operator: 'DoesNotExist', values: [] };
    }
    const key = this.key(first);
    const operator = this.peek();
    if (operator.type === 'end' || operator.type === ',') return { key, operator: 'Exists', values: [] };
    this.next();
    switch (operator.type) {
      case '=':
      case '==':
        return { key, operator: 'Equals', values: [this.exactValue()] };
      case '!=':
        return { key, operator: 'NotEquals', values: [this.exactValue()] };
      case 'in':
        return { key, operator: 'In', values: this.setValues(operator) };
      case 'notin':
        return { key, operator: 'NotIn', values: this.setValues(operator) };
      case '<':
      case '>':
        throw this.error(operator, `"${operator.text}" comparisons are not supported; use =, ==, !=, in or notin`);
      default:
        throw this.error(
          operator,
          `expected an operator (=, ==, !=, in, notin) or "," after label key "${key}", found ${describe(operator)}`,
        );
    }
  }

  private key(token: Token): string {
    if (token.type !== 'identifier') {
      throw this.error(token, `expected a label key, found ${describe(token)}`);
    }
    const problem = labelKeyProblem(token.text);
    if (problem !== undefined) throw this.error(token, problem);
    return token.text;
  }

  /** After `=`, `==`, `!=`: one value, or nothing (the empty value) before "," or the end. */
  private exactValue(): string {
    const token = this.peek();
    if (token.type === 'end' || token.type === ',') return '';
    this.next();
    return this.value(token);
  }

  /** `(a,b)`; as in Kubernetes an empty item is the empty value, so `()` is `("")`. */
  private setValues(operator: Token): string[] {
    const open = this.next();
    if (open.type !== '(') {
      throw this.error(open, `expected "(" after "${operator.text}", found ${describe(open)}`);
    }
    const values: string[] = [];
    let current: string | undefined;
    for (;;) {
      const token = this.next();
      if (token.type === ',' || token.type === ')') {
        values.push(current ?? '');
        current = undefined;
        if (token.type === ')') return values;
        continue;
      }
      if (token.type === 'end') {
        throw this.error(token, `"(" at character ${open.position + 1} is never closed: expected a value, "," or ")"`);
      }
      if (current !== undefined) {
        throw this.error(token, `expected "," or ")" after value "${current}", found ${describe(token)}`);
      }
      current = this.value(token);
    }
  }

  /** Values may be the words "in" and "notin", which are keywords only where an operator goes. */
  private value(token: Token): string {
    if (token.type !== 'identifier' && token.type !== 'in' && token.type !== 'notin') {
      throw this.error(token, `expected a label value, found ${describe(token)}`);
    }
    const problem = labelValueProblem(token.text);
    if (problem !== undefined) throw this.error(token, problem);
    return token.text;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? this.endToken();
  }

  private next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index += 1;
    return token;
  }

  private endToken(): Token {
    return { type: 'end', text: '', position: this.text.length };
  }

  private error(token: Token, what: string): SelectorSyntaxError {
    const where = token.type === 'end' ? 'at the end' : `at character ${token.position + 1}`;
    return new SelectorSyntaxError(this.text, token.position, `${where}: ${what}`);
  }
}

function describe(token: Token): string {
  if (token.type === 'end') return 'the end of the selector';
  if (token.type === 'in' || token.type === 'notin') return `the keyword "${token.text}"`;
  return `"${token.text}"`;
}
