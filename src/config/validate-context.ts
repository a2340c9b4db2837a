/**
 * @module config/validate-context
 * The machinery every validation step shares: a Checker that collects issues with their
 * positions, Blocks that read one YAML mapping (rejecting unknown, duplicate and non-string
 * keys as they go), and the Parse contract for single values. Rules live elsewhere; this
 * file only knows how to walk YAML and where to point.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import type { ParsedNode, YAMLMap } from 'yaml';
import { SCHEDULER_NAMES } from '../core/config.js';
import type { ConfigIssue } from '../core/errors.js';
import { NAME_PATTERN } from './defaults.js';
import { didYouMean } from './suggest.js';
import type { YamlSource } from './yaml.js';

/** What a value parser returns for a bad value: the rule the value broke. */
export class Invalid {
  constructor(readonly rule: string) {}
}

/** Turns a plain value (a scalar's JS value, or the node itself for a collection) into T. */
export type Parse<T> = (value: unknown) => T | Invalid;

export interface Entry {
  /** The key as written. */
  readonly name: string;
  readonly key: ParsedNode;
  /** The value node with aliases resolved. */
  readonly value: ParsedNode | null;
  /** Dotted path of this key, e.g. "upstreams.web.scheduler". */
  readonly path: string;
}

/** "a" + "b" → "a.b"; names that are not plain ("my web") are quoted: a["my web"]. */
export function joinPath(path: string, key: string): string {
  if (!NAME_PATTERN.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

const isEmpty = (node: ParsedNode | null): boolean => node === null || (isScalar(node) && node.value === null);

/** Collects every issue of one validation pass, each pointing at the node that caused it. */
export class Checker {
  readonly issues: ConfigIssue[] = [];
  /** Problems that leave the config usable (a certificate close to expiry): shown, never refused. */
  readonly warnings: ConfigIssue[] = [];
  /** The moment certificates are judged valid or expired at (config/validate-tls). */
  readonly now = Date.now();

  /**
   * @param schedulers the scheduler names an upstream may select: the built-in ones plus
   *   any an embedder registered.
   */
  constructor(
    readonly source: YamlSource,
    readonly schedulers: readonly string[] = SCHEDULER_NAMES,
  ) {}

  report(node: ParsedNode | YAMLMap | null | undefined, path: string, rule: string): void {
    this.issues.push(this.source.issueAt(node, path, rule));
  }

  warn(node: ParsedNode | YAMLMap | null | undefined, path: string, rule: string): void {
    this.warnings.push(this.source.issueAt(node, path, rule));
  }

  /** Parses one value, reporting it when it is invalid. */
  value<T>(node: ParsedNode | null, path: string, parse: Parse<T>): T | undefined {
    const result = parse(isScalar(node) ? node.value : node);
    if (!(result instanceof Invalid)) return result;
    this.report(node, path, result.rule);
    return undefined;
  }

  /**
   * Reads a mapping whose keys must be among `allowed` (any key when it is undefined).
   * Reports and returns undefined when the node is not a mapping.
   */
  block(node: ParsedNode | null, path: string, allowed?: readonly string[]): Block | undefined {
    const map = this.source.resolve(node);
    if (!isMap(map)) {
      this.report(map, path, path ? 'must be a mapping' : 'the file must be a mapping of keys to values');
      return undefined;
    }
    const entries = new Map<string, Entry>();
    for (const pair of map.items) {
      const keyNode = pair.key as ParsedNode | null;
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        this.report(keyNode ?? map, path, 'keys must be plain strings');
        continue;
      }
      const key = String(keyNode.value);
      const keyPath = joinPath(path, key);
      const first = entries.get(key);
      if (first) this.report(keyNode, keyPath, `duplicate key "${key}" (first at line ${this.source.position(first.key).line})`);
      else if (allowed && !allowed.includes(key)) {
        this.report(keyNode, keyPath, `unknown key "${key}"; expected one of: ${allowed.join(', ')}${didYouMean(key, allowed, path)}`);
      } else entries.set(key, { name: key, key: keyNode, value: this.source.resolve(pair.value as ParsedNode | null), path: keyPath });
    }
    return new Block(this, map, path, entries);
  }

  /**
   * Like block(), but a missing or empty value (`log:` with nothing under it) is an empty block.
   * `key`, the node of the key it is written under, is where an empty block's missing keys are reported.
   */
  optionalBlock(node: ParsedNode | null | undefined, path: string, allowed?: readonly string[], key?: ParsedNode): Block {
    const resolved = this.source.resolve(node);
    if (isEmpty(resolved)) return new Block(this, undefined, path, new Map(), false, key);
    // Not a mapping (reported): read on with defaults, without also calling its keys missing.
    return this.block(resolved, path, allowed) ?? new Block(this, undefined, path, new Map(), true);
  }

  /** The items of a non-empty list with their paths; reports and returns [] otherwise. */
  list(node: ParsedNode | null, path: string, what: string): { node: ParsedNode | null; path: string }[] {
    const seq = this.source.resolve(node);
    if (!isSeq(seq)) {
      this.report(seq, path, 'must be a list');
      return [];
    }
    if (seq.items.length === 0) this.report(seq, path, `must list at least one ${what}`);
    return seq.items.map((item, i) => ({ node: this.source.resolve(item as ParsedNode | null), path: `${path}[${i}]` }));
  }
}

/** One mapping being read. Values are parsed on request; absent keys get their defaults. */
export class Block {
  readonly #wrote = new Set<string>();

  constructor(
    private readonly checker: Checker,
    /** Undefined for a block that is absent from the file. */
    readonly node: YAMLMap | undefined,
    readonly path: string,
    private readonly entries: ReadonlyMap<string, Entry>,
    /** Set when the value was not a mapping at all: missing keys are then not reported. */
    private readonly broken = false,
    /** The key an empty block is written under (`backup:`), if any. */
    private readonly key?: ParsedNode,
  ) {}

  /** Where an issue about the block as a whole points: the mapping, else the key of an empty block. */
  get at(): YAMLMap | ParsedNode | undefined {
    return this.node ?? this.key;
  }

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  all(): Entry[] {
    return [...this.entries.values()];
  }

  /** The parsed value under key; the fallback when it is absent or invalid (invalid is reported). */
  read<T>(key: string, parse: Parse<T>, fallback: T): T {
    const e = this.entries.get(key);
    const value = e && this.checker.value(e.value, e.path, parse);
    if (value === undefined) return fallback;
    this.#wrote.add(key);
    return value;
  }

  /**
   * True when read() found a valid value under key: the user wrote it. False for a key left
   * out, and for an invalid one (reported already), which holds its default instead.
   */
  wrote(key: string): boolean {
    return this.#wrote.has(key);
  }

  /** The entry under key; reports `rule` ("is required") at this mapping when it is absent. */
  need(key: string, rule = 'is required'): Entry | undefined {
    const e = this.entries.get(key);
    if (!e && !this.broken) this.checker.report(this.at, joinPath(this.path, key), rule);
    return e;
  }

  /** The parsed value under a required key; undefined when it is absent or invalid (both reported). */
  require<T>(key: string, parse: Parse<T>): T | undefined {
    const e = this.need(key);
    return e && this.checker.value(e.value, e.path, parse);
  }

  /** A nested mapping with all-optional keys. */
  child(key: string, allowed: readonly string[]): Block {
    const e = this.entries.get(key);
    return this.checker.optionalBlock(e?.value, joinPath(this.path, key), allowed, e?.key);
  }

  /** A nested mapping whose presence switches something on: undefined when absent, else like child() (empty = defaults). */
  feature(key: string, allowed: readonly string[]): Block | undefined {
    return this.entries.has(key) ? this.child(key, allowed) : undefined;
  }
}
