/**
 * @module config/yaml
 * The thin layer over the `yaml` package: parses config text into a document that keeps
 * source positions, turns YAML syntax errors into ConfigIssues, and maps nodes back to
 * 1-based line/column. Everything position-related lives here so validation never sees
 * offsets. Nesting is capped (MAX_NESTING) while the text is still being tokenised: yaml
 * composes nodes recursively, and a file of a few thousand `[` overflowed the stack, which
 * came back as "YAML syntax error: Maximum call stack size exceeded" after seconds of work.
 */
import { Composer, isAlias, Lexer, LineCounter, parseDocument, Parser, YAMLParseError } from 'yaml';
import type { Document, Node, ParsedNode, YAMLError } from 'yaml';
import type { ConfigIssue } from '../core/errors.js';

/** A parsed config file: the document plus what is needed to report positions in it. */
export class YamlSource {
  readonly file: string;
  readonly doc: Document.Parsed;
  private readonly lines: LineCounter;

  constructor(file: string, doc: Document.Parsed, lines: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
  }

  /** 1-based line and column of a node's first character; line 1, column 1 when there is no node. */
  position(node: Node | null | undefined): { line: number; column: number } {
    return this.positionAt(node?.range?.[0] ?? 0);
  }

  /** An issue at the start of a node; at the top of the file when the node is missing. */
  issueAt(node: Node | null | undefined, path: string, rule: string): ConfigIssue {
    return { file: this.file, ...this.position(node), path, rule };
  }

  positionAt(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /** Follows an alias (`*name`) to the node it stands for; any other node is returned as is. */
  resolve(node: ParsedNode | null | undefined): ParsedNode | null {
    if (!node) return null;
    if (!isAlias(node)) return node;
    return (node.resolve(this.doc) as ParsedNode | undefined) ?? null;
  }
}

export interface ParsedYaml {
  readonly source: YamlSource;
  /** Syntax errors: when there are any, the document is not worth validating. */
  readonly errors: ConfigIssue[];
  /** Problems that do not break the structure (e.g. an unknown tag); validation still runs. */
  readonly warnings: ConfigIssue[];
}

/** Most collections inside one another (a bulwark config needs 6; the cap leaves room for anchors and style). */
export const MAX_NESTING = 32;

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);
const OPTIONS = { keepSourceTokens: true, prettyErrors: false, uniqueKeys: false } as const;

/** Collections open on the parser's stack (its other entries are the document and a pending scalar). */
function nesting(stack: ReadonlyArray<{ readonly type: string }>): number {
  let n = 0;
  for (const t of stack) if (COLLECTIONS.has(t.type)) n++;
  return n;
}

/**
 * What yaml's parseDocument does (lex, parse to CST tokens, compose the first document),
 * stopping at the first token nested deeper than MAX_NESTING: then the offset, else the document.
 */
function compose(text: string, lines: LineCounter): Document.Parsed | number {
  const parser = new Parser(lines.addNewLine);
  const tokens = [];
  lines.addNewLine(0);
  for (const lexeme of new Lexer().lex(text)) {
    for (const t of parser.next(lexeme)) tokens.push(t);
    // The stack only holds more than MAX_NESTING entries when nesting may be too deep.
    if (parser.stack.length > MAX_NESTING && nesting(parser.stack) > MAX_NESTING) return parser.offset - lexeme.length;
  }
  for (const t of parser.end()) tokens.push(t);
  const docs = [...new Composer(OPTIONS).compose(tokens, true, text.length)] as Document.Parsed[];
  const doc = docs[0] ?? parseDocument('', OPTIONS);
  if (docs.length > 1) doc.errors.push(new YAMLParseError(docs[1]!.range.slice(0, 2) as [number, number], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
  return doc;
}

/**
 * Parses one YAML document. Duplicate keys are left in the tree (uniqueKeys: false) so the
 * validator can report them with their key path instead of yaml's generic message.
 */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = compose(text, lines);
  if (typeof doc === 'number') {
    const source = new YamlSource(file, parseDocument('', OPTIONS), lines);
    const rule = `nesting deeper than ${MAX_NESTING} levels (collections inside collections); the file was not parsed further`;
    return { source, errors: [{ file, ...source.positionAt(doc), path: '', rule }], warnings: [] };
  }
  const source = new YamlSource(file, doc, lines);
  const toIssue =
    (prefix: string) =>
    (e: YAMLError): ConfigIssue => ({ file, ...source.positionAt(e.pos[0]), path: '', rule: `${prefix}: ${e.message}` });
  return { source, errors: doc.errors.map(toIssue('YAML syntax error')), warnings: doc.warnings.map(toIssue('YAML')) };
}
