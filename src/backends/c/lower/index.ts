/** All C lowerings by IR op, assembled from the per-family tables in this folder. */
import type { CLowering } from '../lowering.js';

/** IR op → C lowering; an op missing here cannot be compiled to C. */
export const C_LOWERINGS: Record<string, CLowering> = {
};
