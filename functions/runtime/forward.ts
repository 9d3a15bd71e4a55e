import { forwardRequest } from '../../shared/forwarding/forward.js';
import { createHandler } from '../../shared/http/handler.js';

export const handler = createHandler('runtime-forward', forwardRequest);
