/** TFLite builtin operator → import rule: the one table the TFLite frontend dispatches through. */
import type { TfliteRule } from './context.js';
import { CONV_RULES } from './rules-conv.js';
import { ELEMENTWISE_RULES } from './rules-elementwise.js';
import { SHAPE_RULES } from './rules-shape.js';

/** Every TFLite builtin edgec imports; the IR ops a rule emits must be in the op registry. */
export const TFLITE_IMPORT_RULES: Record<string, TfliteRule> = {
  ...CONV_RULES,
  ...ELEMENTWISE_RULES,
  ...SHAPE_RULES,
};
