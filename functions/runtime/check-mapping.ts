import { createHandler } from '../../shared/http/handler.js';
import { checkMappingBatch } from '../../shared/mappings/check.js';

export const handler = createHandler('runtime-check-mapping', checkMappingBatch);
