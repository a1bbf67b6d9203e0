/** Role order on the client (the server's rule, restated: importing it would bundle server code). */
import type { Role } from './types.js';

const ORDER: readonly Role[] = ['viewer', 'operator', 'admin'];

/** true when `have` is at least `need`. */
export const roleAtLeast = (have: Role, need: Role): boolean => ORDER.indexOf(have) >= ORDER.indexOf(need);
