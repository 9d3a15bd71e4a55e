import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';

import { MtlsGatewayStack } from '../../infra/stack.js';
import { routes } from '../../shared/routes.js';

describe('MtlsGatewayStack', () => {
  let template: Template;
  let stack: MtlsGatewayStack;

  beforeAll(() => {
    // Skipping bundling keeps synthesis offline and fast; the template is otherwise complete.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new MtlsGatewayStack(app, 'Test', {
      env: { account: '111111111111', region: 'eu-west-1' },
    });
    template = Template.fromStack(stack);
  });

  it('creates one function per route', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs24.x' },
    });

    expect(Object.keys(functions)).toHaveLength(routes.length);
  });

  it('adds every route method to the API', () => {
    const expected = routes.reduce((count, route) => count + route.methods.length, 0);

    template.resourceCountIs('AWS::ApiGateway::Method', expected);
  });

  it('passes binary bodies through API Gateway', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
  });

  it('enables the Data API on an encrypted Aurora cluster', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EnableHttpEndpoint: true,
      StorageEncrypted: true,
    });
  });

  it('keeps function timeouts under the API Gateway limit', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    for (const resource of Object.values(functions)) {
      expect(resource.Properties.Timeout).toBeLessThanOrEqual(29);
    }
  });

  it('limits each source IP with WAF', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: [
        {
          Name: 'rate-per-ip',
          Statement: {
            RateBasedStatement: { AggregateKeyType: 'IP', Limit: 600, EvaluationWindowSec: 60 },
          },
        },
      ],
    });
  });

  it('never logs request data in API Gateway', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [{ DataTraceEnabled: false, LoggingLevel: 'ERROR' }],
    });
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    const findings = report.violations.map(
      (violation) => `${violation.ruleName}: ${violation.description}`,
    );

    expect(findings).toEqual([]);
  });
});
