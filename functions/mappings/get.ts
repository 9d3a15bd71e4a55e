import { createHandler } from '../../shared/http/handler.js';
import { getMapping } from '../../shared/mappings/api.js';

export const handler = createHandler('mappings-get', getMapping);
