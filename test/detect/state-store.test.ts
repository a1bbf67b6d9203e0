import { runStateStoreContract } from './state-store-contract.js';
import { createMemoryStateStore } from '../../server/detect/index.js';

runStateStoreContract('memory', () => createMemoryStateStore(), {
  reopen: (s) => createMemoryStateStore(s.data),
});
