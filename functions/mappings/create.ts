import { createHandler } from '../../shared/http/handler.js';
import { createMappings } from '../../shared/mappings/api.js';

export const handler = createHandler('mappings-create', createMappings);
