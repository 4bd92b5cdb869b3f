/**
 * The deny-expression builder's model: the root is always a group (AND/OR) whose children are
 * label conditions or nested groups. Converted to the API's tree ({label} | {operator, operands})
 * with the JSON pointer of every node, so a 422 on /deny/operands/1/label lands on that row.
 */
import type { DenyExpression } from './api';

export type BuilderNode =
  | { id: string; kind: 'label'; label: string | null }
  | { id: string; kind: 'group'; operator: 'AND' | 'OR'; children: BuilderNode[] };
export type GroupNode = Extract<BuilderNode, { kind: 'group' }>;

let seq = 0;
export const nodeId = (): string => `n${++seq}`;

export function emptyRoot(): GroupNode {
  return { id: nodeId(), kind: 'group', operator: 'AND', children: [{ id: nodeId(), kind: 'label', label: null }] };
}

function fromExpr(expr: DenyExpression): BuilderNode {
  if ('label' in expr) return { id: nodeId(), kind: 'label', label: expr.label };
  return { id: nodeId(), kind: 'group', operator: expr.operator, children: expr.operands.map(fromExpr) };
}

export function fromApi(expr: DenyExpression): GroupNode {
  const node = fromExpr(expr);
  return node.kind === 'group' ? node : { id: nodeId(), kind: 'group', operator: 'AND', children: [node] };
}

/** The API expression and each node's pointer. A root group of one condition is sent as that condition. */
export function toApi(root: GroupNode): { expr: DenyExpression; pointers: Map<string, string> } {
  const pointers = new Map<string, string>();
  const walk = (node: BuilderNode, at: string): DenyExpression => {
    pointers.set(node.id, at);
    if (node.kind === 'label') return { label: node.label ?? '' };
    return { operator: node.operator, operands: node.children.map((c, i) => walk(c, `${at}/operands/${i}`)) };
  };
  if (root.children.length === 1) {
    pointers.set(root.id, '/deny');
    return { expr: walk(root.children[0], '/deny'), pointers };
  }
  return { expr: walk(root, '/deny'), pointers };
}

/** `THIRD_PARTY AND (C2 OR C12)`: operations inside operations are parenthesised. */
export function toText(expr: DenyExpression, nested = false): string {
  if ('label' in expr) return expr.label || '?';
  const inner = expr.operands.map((o) => toText(o, true)).join(` ${expr.operator} `);
  return nested && expr.operands.length > 1 ? `(${inner})` : inner;
}

/** Problems the builder can see before asking the API: labels not chosen, empty groups. */
export function problems(root: GroupNode): Map<string, 'chooseLabel' | 'emptyGroup'> {
  const out = new Map<string, 'chooseLabel' | 'emptyGroup'>();
  const walk = (node: BuilderNode) => {
    if (node.kind === 'label') {
      if (!node.label) out.set(node.id, 'chooseLabel');
      return;
    }
    if (node.children.length === 0) out.set(node.id, 'emptyGroup');
    node.children.forEach(walk);
  };
  walk(root);
  return out;
}

/** A copy of the tree with `fn` applied to the node of `id` (null removes it). */
export function update(root: GroupNode, id: string, fn: (n: BuilderNode) => BuilderNode | null): GroupNode {
  const walk = (node: BuilderNode): BuilderNode | null => {
    if (node.id === id) return fn(node);
    if (node.kind === 'label') return node;
    return { ...node, children: node.children.map(walk).filter((c): c is BuilderNode => c !== null) };
  };
  return walk(root) as GroupNode;
}
