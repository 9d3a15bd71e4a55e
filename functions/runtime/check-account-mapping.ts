import { createHandler } from '../../shared/http/handler.js';
import { checkAccountMappingBatch } from '../../shared/mappings/check.js';

export const handler = createHandler('runtime-check-account-mapping', checkAccountMappingBatch);
