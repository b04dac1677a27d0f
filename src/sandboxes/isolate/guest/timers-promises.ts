// Guest shim for node:timers/promises.
import { promises } from './timers.ts';

export const setTimeout = promises.setTimeout;
export const setImmediate = promises.setImmediate;
export default promises;
