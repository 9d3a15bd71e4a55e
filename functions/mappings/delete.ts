import { createHandler } from '../../shared/http/handler.js';
import { deleteMapping } from '../../shared/mappings/api.js';

export const handler = createHandler('mappings-delete', deleteMapping);
