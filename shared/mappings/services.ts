import { invalidField } from '../errors.js';

/** The services that consume mappings, with LivePerson's names and ids. */
export const SERVICES = { TEST_SERVICE: 0, IDP: 1, WEBHOOKS: 2 } as const;

export type ServiceName = keyof typeof SERVICES;
export type ServiceId = (typeof SERVICES)[ServiceName];

const NAMES_BY_ID = new Map<number, ServiceName>(
  Object.entries(SERVICES).map(([name, id]) => [id, name as ServiceName]),
);

/** Returns the service id for a name (`IDP`) or id (`"1"` or `1`), or undefined. */
export function findServiceId(value: unknown): ServiceId | undefined {
  if (typeof value === 'number' && NAMES_BY_ID.has(value)) {
    return value as ServiceId;
  }
  if (typeof value !== 'string') {
    return undefined;
  }

  const text = value.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '');
  if (/^\d$/.test(text) && NAMES_BY_ID.has(Number(text))) {
    return Number(text) as ServiceId;
  }

  // Only ASCII letters change case here: toUpperCase() would also turn the dotless "ı" and
  // the long "ſ" into I and S, so "ıdp" would pass as IDP.
  const upper = text.replace(/[a-z]/g, (letter) => String.fromCharCode(letter.charCodeAt(0) - 32));
  return Object.hasOwn(SERVICES, upper) ? SERVICES[upper as ServiceName] : undefined;
}

/** Parses a service name or id, or throws a 400 naming `field`. */
export function parseServiceId(value: unknown, field: string): ServiceId {
  const id = findServiceId(value);
  if (id === undefined) {
    throw invalidField(
      'mapping.service_unknown',
      field,
      'is not a known service. Use TEST_SERVICE ("0"), IDP ("1") or WEBHOOKS ("2").',
    );
  }
  return id;
}

export function serviceName(id: ServiceId): ServiceName {
  return NAMES_BY_ID.get(id)!;
}
