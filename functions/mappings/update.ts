import { createHandler } from '../../shared/http/handler.js';
import { updateMapping } from '../../shared/mappings/api.js';

export const handler = createHandler('mappings-update', updateMapping);
