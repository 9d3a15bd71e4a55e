import { App } from 'aws-cdk-lib';

import { MtlsGatewayStack } from './stack.js';

const app = new App();
new MtlsGatewayStack(app, 'MtlsGateway', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
