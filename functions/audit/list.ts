import { listAudit } from '../../shared/audit/api.js';
import { createHandler } from '../../shared/http/handler.js';

export const handler = createHandler('audit-list', listAudit);
