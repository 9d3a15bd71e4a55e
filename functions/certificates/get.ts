import { getCertificate } from '../../shared/certificates/api.js';
import { createHandler } from '../../shared/http/handler.js';

export const handler = createHandler('certificates-get', getCertificate);
