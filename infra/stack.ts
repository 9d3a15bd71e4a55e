import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';

import { type RouteDefinition, routes } from '../shared/routes.js';

const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The gateway in AWS: API Gateway (REST) with one Lambda function per route of the route
 * table, and Aurora PostgreSQL Serverless v2 reached through the RDS Data API.
 *
 * NOTE: the RDS Data API and Vault adapters are not written yet, so the deployed functions
 * cannot reach their stores. `npm start` runs the same handlers locally.
 */
export class MtlsGatewayStack extends Stack {
  readonly api: apigateway.RestApi;
  readonly functions = new Map<string, NodejsFunction>();

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.ALL } },
    });

    const database = new rds.DatabaseCluster(this, 'Database', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({
        version: rds.AuroraPostgresEngineVersion.VER_16_4,
      }),
      writer: rds.ClusterInstance.serverlessV2('writer'),
      serverlessV2MinCapacity: 0,
      serverlessV2MaxCapacity: 4,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      enableDataApi: true,
      storageEncrypted: true,
      defaultDatabaseName: 'mtls',
      removalPolicy: RemovalPolicy.SNAPSHOT,
      deletionProtection: true,
    });

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: 'mtls-gateway',
      // Every body reaches the functions as base64, so forwarded bodies stay byte-exact.
      binaryMediaTypes: ['*/*'],
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
        accessLogDestination: new apigateway.LogGroupLogDestination(
          new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH }),
        ),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        // Errors only, and never data traces: request logs would contain p12 files and tokens.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
      },
    });
    // Without request models, body validation accepts every body, so binary forwards pass.
    const validator = this.api.addRequestValidator('Requests', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    for (const route of routes) {
      const fn = this.routeFunction(route, database);
      this.functions.set(route.id, fn);
      const resource = this.api.root.resourceForPath(route.path);
      for (const method of route.methods) {
        resource.addMethod(method, new apigateway.LambdaIntegration(fn), {
          requestValidator: validator,
        });
      }
    }

    this.addRateLimit();
    this.acknowledgeFindings(database);
    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
  }

  /** Limits each source IP to about 10 requests per second, as the local gateway's token bucket does. */
  private addRateLimit(): void {
    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: 'mtls-gateway',
        sampledRequestsEnabled: false,
      },
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          action: { block: { customResponse: { responseCode: 429 } } },
          // WAF counts over a window of at least 60 s, so 10 per second becomes 600 per minute.
          statement: {
            rateBasedStatement: { aggregateKeyType: 'IP', limit: 600, evaluationWindowSec: 60 },
          },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: 'rate-per-ip',
            sampledRequestsEnabled: false,
          },
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });
  }

  /** Records why the cdk-nag AwsSolutions findings that remain do not apply. */
  private acknowledgeFindings(database: rds.DatabaseCluster): void {
    const stack = Validations.of(this);
    for (const route of routes) {
      for (const method of route.methods) {
        const construct = this.api.root.resourceForPath(route.path).node.findChild(method);
        const reason =
          'Every function authenticates the whole request itself (JWT or OAuth 1.0a, which signs form bodies that an authorizer never sees).';
        Validations.of(construct).acknowledge({ id: 'AwsSolutions-APIG4', reason });
        Validations.of(construct).acknowledge({ id: 'AwsSolutions-COG4', reason });
      }
    }
    stack.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The basic execution role only grants writing to the function log group.',
    });
    stack.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'API Gateway needs this account-level role to write its execution and access logs.',
    });
    stack.acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs24.x is the runtime the handlers and tests are built for; a newer one is adopted deliberately.',
    });
    Validations.of(database).acknowledge({
      id: 'AwsSolutions-RDS6',
      reason:
        'Functions reach the database only through the RDS Data API, which authenticates with IAM.',
    });
    Validations.of(database).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The RDS Data API reads the cluster secret on every call; rotation is left to the operator.',
    });
  }

  private routeFunction(route: RouteDefinition, database: rds.DatabaseCluster): NodejsFunction {
    const fn = new NodejsFunction(this, `Fn-${route.id}`, {
      entry: path.join(REPOSITORY_ROOT, `${route.handler}.ts`),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 1024,
      // API Gateway ends the integration at 29 s.
      timeout: Duration.seconds(29),
      logGroup: new logs.LogGroup(this, `Logs-${route.id}`, {
        retention: logs.RetentionDays.ONE_MONTH,
      }),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'mtls-gateway',
        MTLS_DATABASE_CLUSTER_ARN: database.clusterArn,
        MTLS_DATABASE_SECRET_ARN: database.secret?.secretArn ?? '',
        MTLS_DATABASE_NAME: 'mtls',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        // ESM bundles need require() for the CommonJS packages they contain.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        externalModules: ['@aws-sdk/*'],
      },
    });
    database.grantDataApiAccess(fn);
    return fn;
  }
}
