import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';

import { type RouteDefinition, routes } from '../shared/routes.js';

const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The gateway in AWS: API Gateway (REST) with one Lambda function per route of the route
 * table, and Aurora PostgreSQL Serverless v2 reached through the RDS Data API.
 *
 * NOTE: the RDS Data API and Vault adapters are not written yet, so the deployed functions
 * cannot reach their stores; `npm start` runs the same handlers locally.
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
    });

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: 'mtls-gateway',
      // Every body reaches the functions as base64, so forwarded bodies stay byte-exact.
      binaryMediaTypes: ['*/*'],
      deployOptions: { stageName: 'v1', throttlingRateLimit: 100, throttlingBurstLimit: 200 },
    });

    for (const route of routes) {
      const fn = this.routeFunction(route, database);
      this.functions.set(route.id, fn);
      const resource = this.api.root.resourceForPath(route.path);
      for (const method of route.methods) {
        resource.addMethod(method, new apigateway.LambdaIntegration(fn));
      }
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
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
