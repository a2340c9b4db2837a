/**
 * @module config/yaml
 * The thin layer over the `yaml` package: parses config text into a document that keeps
 * source positions, turns YAML syntax errors into ConfigIssues, and maps nodes back to
 * 1-based line/column. Everything position-related lives here so validation never sees
 * offsets.
 */
import { isAlias, LineCounter, parseDocument } from 'yaml';
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

/**
 * Parses one YAML document. Duplicate keys are left in the tree (uniqueKeys: false) so the
 * validator can report them with their key path instead of yaml's generic message.
 */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { keepSourceTokens: true, lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const source = new YamlSource(file, doc, lines);
  const toIssue =
    (prefix: string) =>
    (e: YAMLError): ConfigIssue => ({ file, ...source.positionAt(e.pos[0]), path: '', rule: `${prefix}: ${e.message}` });
  return { source, errors: doc.errors.map(toIssue('YAML syntax error')), warnings: doc.warnings.map(toIssue('YAML')) };
}
