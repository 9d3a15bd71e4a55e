import { loadConfig } from '../config.js';
import { GatewayError, invalidField } from '../errors.js';
import { parseMultipart } from '../http/multipart.js';
import type { ApiRequest } from '../http/request.js';
import { json } from '../http/response.js';
import type { ApiResponse } from '../http/types.js';
import { parseWith, requireItemArray, toPositiveId } from '../http/validation.js';
import { MappingRepository } from '../mappings/repository.js';
import { getCertificateService, getMappingService } from '../runtime/services.js';
import type { SqlExecutor } from '../store/executor.js';
import { indexFirstIds, repeatedIdError, saveEach } from './batch.js';
import { type CertificateEntity, toCertificateEntity } from './entity.js';
import {
  createItemSchema,
  decodeP12,
  fileCreateSchema,
  fileUpdateSchema,
  MAX_CERTIFICATES_PER_REQUEST,
  parseCertificateId,
  updateItemSchema,
} from './input.js';

/** Handlers' side of the certificate routes: request parsing and response shapes. */

function accountOf(request: ApiRequest): string {
  return request.pathParameter('accountId');
}

function itemsOf(request: ApiRequest): unknown[] {
  return requireItemArray(request.json(), {
    itemName: 'certificate',
    itemsName: 'certificates',
    maxItems: MAX_CERTIFICATES_PER_REQUEST,
  });
}

/** Wraps a per-item save so that each item leaves an audit record, saved or not. */
function audited<Item>(
  request: ApiRequest,
  save: (item: Item, index: number) => Promise<CertificateEntity>,
): (item: Item, index: number) => Promise<CertificateEntity> {
  return async (item, index) => {
    try {
      const entity = await save(item, index);
      request.recordAudit({ objectId: entity.id, outcome: 'success' });
      return entity;
    } catch (error) {
      const code = error instanceof GatewayError ? error.code : 'internal';
      // An update item names its certificate, so its failure is recorded against that id.
      const objectId = toPositiveId((item as { id?: unknown } | null)?.id);
      request.recordAudit({ objectId, outcome: 'failure', detail: `${code} (item ${index})` });
      throw error;
    }
  };
}

/** Builds the reader of the enabled mappings that use a certificate, for an update's check. */
function enabledMappingsOf(accountId: string, certificateId: number) {
  return (sql: SqlExecutor) =>
    new MappingRepository(sql).listEnabledByCertificate(accountId, certificateId);
}

function nameOf(item: unknown, index: number): string {
  const name = (item as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name.trim() !== '' ? name.trim() : `item ${index}`;
}

export async function createCertificates(request: ApiRequest): Promise<ApiResponse> {
  const accountId = accountOf(request);
  const service = await getCertificateService();
  const now = new Date();

  const result = await saveEach(
    itemsOf(request),
    nameOf,
    audited(request, async (item, index) => {
      const input = parseWith(createItemSchema, item, 'certificate.invalid', `[${index}]`);
      const record = await service.create(accountId, {
        name: input.name,
        displayName: input.displayName,
        p12: decodeP12(input.p12, `[${index}].p12`),
        password: input.password,
        fields: {
          name: `[${index}].name`,
          file: `[${index}].p12`,
          password: `[${index}].password`,
        },
      });
      return toCertificateEntity(record, now);
    }),
  );
  return json(201, result);
}

export async function updateCertificates(request: ApiRequest): Promise<ApiResponse> {
  const accountId = accountOf(request);
  const service = await getCertificateService();
  const now = new Date();

  const items = itemsOf(request);
  const firstIndexById = indexFirstIds(items);

  const result = await saveEach(
    items,
    nameOf,
    audited(request, async (item, index) => {
      const input = parseWith(updateItemSchema, item, 'certificate.invalid', `[${index}]`);
      const id = parseCertificateId(input.id, `[${index}].id`);
      const firstIndex = firstIndexById.get(id) ?? index;
      if (firstIndex !== index) {
        throw repeatedIdError(id, firstIndex, `[${index}].id`);
      }

      const record = await service.update(
        accountId,
        {
          id,
          name: input.name,
          displayName: input.displayName,
          p12: input.p12 === undefined ? undefined : decodeP12(input.p12, `[${index}].p12`),
          password: input.password,
          fields: {
            id: `[${index}].id`,
            name: `[${index}].name`,
            file: `[${index}].p12`,
            password: `[${index}].password`,
          },
        },
        enabledMappingsOf(accountId, id),
      );
      return toCertificateEntity(record, now);
    }),
  );
  return json(200, result);
}

/** Reads the `file` part and the `certificate` JSON part of a multipart upload. */
async function readFileUpload(
  request: ApiRequest,
): Promise<{ file: Buffer; certificate: unknown }> {
  const form = await parseMultipart(request, { maxFileBytes: loadConfig().maxP12Bytes + 1 });

  const file = form.files.get('file');
  if (!file) {
    const reason = form.fields.has('file')
      ? 'must be a file part with a filename, such as curl -F file=@client.p12.'
      : 'is missing. Attach the p12 as the multipart part "file".';
    throw invalidField('certificate.file_missing', 'file', reason);
  }

  const text = form.fields.get('certificate');
  if (text === undefined) {
    throw invalidField(
      'certificate.field_missing',
      'certificate',
      'is missing. Send {"name","password"} as JSON text in the part "certificate".',
    );
  }

  try {
    return { file: file.bytes, certificate: JSON.parse(text) };
  } catch {
    throw invalidField(
      'certificate.field_invalid_json',
      'certificate',
      'is not valid JSON. Send {"name","password"} as JSON text.',
    );
  }
}

const FILE_FIELDS = { name: 'certificate.name', file: 'file', password: 'certificate.password' };

export async function createCertificateFromFile(request: ApiRequest): Promise<ApiResponse> {
  const accountId = accountOf(request);
  const upload = await readFileUpload(request);
  const input = parseWith(
    fileCreateSchema,
    upload.certificate,
    'certificate.invalid',
    'certificate',
  );
  const service = await getCertificateService();

  const record = await service.create(accountId, {
    name: input.name,
    displayName: input.displayName,
    p12: upload.file,
    password: input.password,
    fields: FILE_FIELDS,
  });
  request.recordAudit({ objectId: record.id, outcome: 'success' });
  return json(201, {
    successfulySavedCertificates: [toCertificateEntity(record, new Date())],
    failedSaveToVaultCertificates: [],
  });
}

export async function updateCertificateFromFile(request: ApiRequest): Promise<ApiResponse> {
  const accountId = accountOf(request);
  const upload = await readFileUpload(request);
  const input = parseWith(
    fileUpdateSchema,
    upload.certificate,
    'certificate.invalid',
    'certificate',
  );
  const service = await getCertificateService();

  const id = parseCertificateId(input.id, 'certificate.id');
  const record = await service.update(
    accountId,
    {
      id,
      name: input.name,
      displayName: input.displayName,
      p12: upload.file,
      password: input.password,
      fields: { ...FILE_FIELDS, id: 'certificate.id' },
    },
    enabledMappingsOf(accountId, id),
  );
  request.recordAudit({ objectId: record.id, outcome: 'success' });
  return json(200, {
    successfulySavedCertificates: [toCertificateEntity(record, new Date())],
    failedSaveToVaultCertificates: [],
  });
}

export async function listCertificates(request: ApiRequest): Promise<ApiResponse> {
  const service = await getCertificateService();
  const now = new Date();
  const records = await service.list(accountOf(request));
  return json(
    200,
    records.map((record) => toCertificateEntity(record, now)),
  );
}

/** Parses `{certificateId}`, or throws a 400 naming it. A well-formed unknown id is a 404 later. */
function certificateIdOf(request: ApiRequest): number {
  return parseCertificateId(request.pathParameter('certificateId'), 'certificateId');
}

export async function getCertificate(request: ApiRequest): Promise<ApiResponse> {
  const service = await getCertificateService();
  const record = await service.get(accountOf(request), certificateIdOf(request));
  return json(200, toCertificateEntity(record, new Date()));
}

export async function deleteCertificate(request: ApiRequest): Promise<ApiResponse> {
  const service = await getCertificateService();
  const mappings = await getMappingService();
  const accountId = accountOf(request);
  const id = certificateIdOf(request);
  await service.delete(accountId, id, (tx) => mappings.assertCertificateUnused(tx, accountId, id));
  return json(200, { id, deleted: true });
}

/** Returns the public leaf and chain as PEM. The private key never leaves the secret store. */
export async function downloadCertificate(request: ApiRequest): Promise<ApiResponse> {
  const service = await getCertificateService();
  const record = await service.get(accountOf(request), certificateIdOf(request));
  const material = await service.readMaterial(record);

  const fileName = record.name.replace(/[^A-Za-z0-9._-]+/g, '_') || 'certificate';
  return {
    status: 200,
    headers: {
      'content-type': 'application/x-pem-file',
      'content-disposition': `attachment; filename="${fileName}.pem"`,
    },
    body: `${material.leafPem.trim()}\n${material.chainPem.trim()}\n`.replace(/\n+$/, '\n'),
  };
}
