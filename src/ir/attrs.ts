/** Typed accessors for node attributes, with defaults. */
import type { Node, Value } from './types.js';
import { EdgecError } from '../util/errors.js';

function wrong(node: Node, name: string, want: string): never {
  throw new EdgecError(`node '${node.name}' (${node.op}): attribute '${name}' must be ${want}`);
}

/** An int attribute, or `def` when absent. */
export function attrInt(node: Node, name: string, def: number): number;
export function attrInt(node: Node, name: string): number | undefined;
export function attrInt(node: Node, name: string, def?: number): number | undefined {
  const a = node.attrs[name];
  if (!a) return def;
  if (a.type !== 'int') wrong(node, name, 'an int');
  return a.value;
}

/** A float attribute, or `def` when absent. */
export function attrFloat(node: Node, name: string, def: number): number;
export function attrFloat(node: Node, name: string): number | undefined;
export function attrFloat(node: Node, name: string, def?: number): number | undefined {
  const a = node.attrs[name];
  if (!a) return def;
  if (a.type === 'float' || a.type === 'int') return a.value;
  return wrong(node, name, 'a float');
}

/** A string attribute, or `def` when absent. */
export function attrString(node: Node, name: string, def: string): string;
export function attrString(node: Node, name: string): string | undefined;
export function attrString(node: Node, name: string, def?: string): string | undefined {
  const a = node.attrs[name];
  if (!a) return def;
  if (a.type !== 'string') wrong(node, name, 'a string');
  return a.value;
}

/** An ints attribute, or `def` when absent. */
export function attrInts(node: Node, name: string, def: number[]): number[];
export function attrInts(node: Node, name: string): number[] | undefined;
export function attrInts(node: Node, name: string, def?: number[]): number[] | undefined {
  const a = node.attrs[name];
  if (!a) return def;
  if (a.type === 'ints') return a.value;
  if (a.type === 'int') return [a.value];
  return wrong(node, name, 'a list of ints');
}

/** A floats attribute, or `def` when absent. */
export function attrFloats(node: Node, name: string, def?: number[]): number[] | undefined {
  const a = node.attrs[name];
  if (!a) return def;
  if (a.type === 'floats') return a.value;
  if (a.type === 'float') return [a.value];
  return wrong(node, name, 'a list of floats');
}

/** A tensor attribute, or undefined when absent. */
export function attrTensor(node: Node, name: string): Value | undefined {
  const a = node.attrs[name];
  if (!a) return undefined;
  if (a.type !== 'tensor') wrong(node, name, 'a tensor');
  return a.value;
}
