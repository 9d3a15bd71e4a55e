import { createHandler } from '../../shared/http/handler.js';
import { listMappings } from '../../shared/mappings/api.js';

export const handler = createHandler('mappings-list', listMappings);
