/** Identity and Dropout (inference) removal. */
import { bypassNode, rewritePass } from './patterns.js';

export const removeIdentity = rewritePass('remove-identity', 'drop Identity and inference-mode Dropout nodes', [
  { name: 'identity', pattern: { op: ['Identity', 'Dropout'] }, rewrite: (m, g) => bypassNode(g, m.root, m.root.inputs[0]) },
]);
