import { testP12 } from '../../shared/forwarding/p12-test.js';
import { createHandler } from '../../shared/http/handler.js';

export const handler = createHandler('runtime-p12-test', testP12);
