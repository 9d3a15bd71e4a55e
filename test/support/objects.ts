import { FIXTURE_PASSWORD, readFixture } from './fixtures.js';

let nameCounter = 0;

/** Returns `<prefix>-<n>` with n unique in the test process, for names that must not clash. */
export function uniqueName(prefix: string): string {
  nameCounter += 1;
  return `${prefix}-${nameCounter}`;
}

/** Returns one item of a JSON certificate upload: the RSA fixture under a unique name. */
export function certificateItem(prefix = 'cert') {
  return {
    name: uniqueName(prefix),
    p12: readFixture('rsa-default.p12').toString('base64'),
    password: FIXTURE_PASSWORD,
  };
}

/** Returns one mapping of `accountId` to a unique https URL for `serviceId` ("0", "1" or "2"). */
export function mappingItem(accountId: string, certificateId: number, serviceId = '1') {
  const name = uniqueName('mapping');
  return {
    certificationId: certificateId,
    serviceId,
    enable: true,
    url: `https://${name}.example.test/target`,
    siteId: accountId,
    name,
    deleted: false,
  };
}
