import type { Agent } from 'undici';

import type { Send } from './measure.js';
import { largeBody, SMALL_BODY } from './target.js';

/** One kind of request, sent the same way on both paths. */
export interface Scenario {
  id: string;
  /** Short description for the results table. */
  title: string;
  /** Path on the target. Each scenario has its own mapping. */
  path: string;
  /** The body the target returns. */
  expectedBody: Buffer;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'small',
    title: `GET, ${Buffer.byteLength(SMALL_BODY)}-byte JSON response`,
    path: '/small',
    expectedBody: Buffer.from(SMALL_BODY),
  },
  {
    id: 'large',
    title: 'GET, 64 KiB binary response',
    path: '/large',
    expectedBody: largeBody(),
  },
];

/** Address of the gateway and the credentials that the bench sends to it. */
export interface GatewayAccess {
  url: string;
  token: string;
  accountId: string;
}

/** Builds a request straight to the target over mutual TLS with the agent's client certificate. */
export function directSend(agent: Agent, targetOrigin: string, scenario: Scenario): Send {
  return async () => {
    const response = await agent.request({
      origin: targetOrigin,
      path: scenario.path,
      method: 'GET',
    });
    await checkResponse('direct', scenario, response);
  };
}

/** Builds a request to the gateway's forward route that names the target in LP-forward-url. */
export function gatewaySend(
  agent: Agent,
  gateway: GatewayAccess,
  targetOrigin: string,
  scenario: Scenario,
): Send {
  const headers = {
    authorization: `Bearer ${gateway.token}`,
    'lp-forward-url': `${targetOrigin}${scenario.path}`,
    'lp-service-name': 'IDP',
  };
  const path = `/mtls/account/${gateway.accountId}`;

  return async () => {
    const response = await agent.request({ origin: gateway.url, path, method: 'GET', headers });
    await checkResponse('gateway', scenario, response);
  };
}

async function checkResponse(
  pathKind: 'direct' | 'gateway',
  scenario: Scenario,
  response: Awaited<ReturnType<Agent['request']>>,
): Promise<void> {
  const body = Buffer.from(await response.body.arrayBuffer());
  if (response.statusCode === 200 && body.equals(scenario.expectedBody)) {
    return;
  }

  const excerpt = body.subarray(0, 300).toString('utf8');
  throw new Error(
    `The ${pathKind} request of scenario ${scenario.id} returned status ${response.statusCode} ` +
      `with ${body.length} bytes instead of the expected 200 with ${scenario.expectedBody.length} bytes: ${excerpt}`,
  );
}
