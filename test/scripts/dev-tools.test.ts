import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DATA_LOCK_FILE } from '../../shared/runtime/dependencies.js';
import { call } from '../support/http.js';
import { signOAuthRequest, type OAuthCredentials } from '../support/oauth-signer.js';

const execFileAsync = promisify(execFile);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ACCOUNT = '123';
/** Upper bound for one script run and for the gateway to start, in milliseconds. */
const CHILD_TIMEOUT_MS = 60_000;
const JWT_FORM = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

let dataDir: string;
let gatewayProcess: ChildProcessWithoutNullStreams;
let gatewayUrl: string;
let startOutput = '';

/**
 * Builds the environment of every child: the test's own without the VITEST variables, which
 * silence the logger, so the scripts print as they do for a developer. npm gets no update
 * check, which would reach the registry.
 */
function childEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('VITEST') && name !== 'LOG_LEVEL') {
      environment[name] = value;
    }
  }
  return {
    ...environment,
    MTLS_DATA_DIR: dataDir,
    npm_config_update_notifier: 'false',
    PATH: `${path.join(ROOT, 'node_modules/.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
  };
}

interface ChildResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs a command in the repository folder and returns a non-zero exit instead of throwing. */
async function run(
  file: string,
  args: string[],
  extraEnvironment: NodeJS.ProcessEnv = {},
): Promise<ChildResult> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, {
      cwd: ROOT,
      env: { ...childEnvironment(), ...extraEnvironment },
      timeout: CHILD_TIMEOUT_MS,
    });
    return { stdout, stderr, exitCode: 0 };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; code?: unknown };
    if (typeof failure.code !== 'number') {
      throw error;
    }
    return { stdout: failure.stdout ?? '', stderr: failure.stderr ?? '', exitCode: failure.code };
  }
}

function runScript(script: string, args: string[]): Promise<ChildResult> {
  return run(process.execPath, ['--import', 'tsx', path.join('scripts', script), ...args]);
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1] ?? '';
}

/** Returns the command on the line after the help line that contains `label`. */
function helpCommand(label: string): string {
  const lines = startOutput.split('\n');
  const index = lines.findIndex((line) => line.includes(label));
  const command = lines[index + 1]?.trim();
  if (index === -1 || !command) {
    throw new Error(`The start output has no command after "${label}":\n${startOutput}`);
  }
  return command;
}

/** Starts `scripts/start.ts` and waits, at most CHILD_TIMEOUT_MS, for its URL line. */
async function startGatewayProcess(): Promise<void> {
  gatewayProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: { ...childEnvironment(), HOST: '127.0.0.1', PORT: '0' },
  });
  gatewayProcess.stdout.setEncoding('utf8');
  gatewayProcess.stdout.on('data', (chunk: string) => {
    startOutput += chunk;
  });

  const deadline = AbortSignal.timeout(CHILD_TIMEOUT_MS);
  while (!/^mtls-gateway listening on (\S+)/m.test(startOutput) || !startOutput.includes('curl')) {
    if (gatewayProcess.exitCode !== null) {
      throw new Error(`scripts/start.ts exited before printing its URL:\n${startOutput}`);
    }
    await once(gatewayProcess.stdout, 'data', { signal: deadline });
  }
  gatewayUrl = /^mtls-gateway listening on (\S+)/m.exec(startOutput)![1]!;
}

async function stopGatewayProcess(): Promise<void> {
  if (!gatewayProcess || gatewayProcess.exitCode !== null) {
    return;
  }
  const exited = once(gatewayProcess, 'exit');
  gatewayProcess.kill('SIGTERM');
  const timer = setTimeout(() => gatewayProcess.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mtls-dev-tools-'));
  await startGatewayProcess();
});

afterAll(async () => {
  await stopGatewayProcess();
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start help', () => {
  it('names the gateway URL', () => {
    expect(gatewayUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('prints dev-token command', () => {
    expect(helpCommand('A JWT')).toBe(
      `TOKEN=$(MTLS_DATA_DIR=${dataDir} npm run --silent dev-token -- --account ${ACCOUNT} --permissions mtls.read,mtls.write,mtls.forward)`,
    );
  });

  it('prints dev-appkey command', () => {
    expect(helpCommand('OAuth 1.0a app key')).toBe(
      `MTLS_DATA_DIR=${dataDir} npm run --silent dev-appkey -- --account ${ACCOUNT} --permissions mtls.read,mtls.write,mtls.forward`,
    );
  });

  it('prints curl call', () => {
    expect(helpCommand('A call with the token')).toBe(
      `curl -H "Authorization: Bearer $TOKEN" ${gatewayUrl}/mtls/account/${ACCOUNT}/certificates`,
    );
  });

  it('printed commands work', async () => {
    const tokenResult = await run('sh', ['-c', `${helpCommand('A JWT')} && printf %s "$TOKEN"`]);
    const curl = /^curl -H "Authorization: Bearer \$TOKEN" (\S+)$/.exec(
      helpCommand('A call with the token'),
    );

    const response = await fetch(curl![1]!, {
      headers: { authorization: `Bearer ${tokenResult.stdout}` },
      redirect: 'manual',
    });

    expect(tokenResult.exitCode, tokenResult.stderr).toBe(0);
    expect(tokenResult.stdout).toMatch(JWT_FORM);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
  });
});

describe('npm start settings', () => {
  /** A data folder that no gateway has locked, so each start fails on the setting under test. */
  let unusedDataDir: string;

  beforeAll(() => {
    unusedDataDir = path.join(dataDir, 'unused');
  });

  /** Runs `scripts/start.ts` on a free port, expecting it to exit on its own. */
  function runStart(extraEnvironment: NodeJS.ProcessEnv): Promise<ChildResult> {
    return run(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      PORT: '0',
      ...extraEnvironment,
    });
  }

  function stderrLines(output: ChildResult): string[] {
    return output.stderr.trimEnd().split('\n');
  }

  it('stops on a missing CA file', async () => {
    const missing = path.join(dataDir, 'no-such-ca.pem');

    const output = await runStart({ MTLS_FORWARD_CA_FILE: missing });

    expect(output.exitCode).toBe(1);
    expect(output.stderr).toContain(`MTLS_FORWARD_CA_FILE ${missing} could not be read (ENOENT)`);
  });

  it('stops on an invalid allow-list', async () => {
    const output = await runStart({ MTLS_FORWARD_ALLOW: '127.0.0.1/99' });

    expect(output.exitCode).toBe(1);
    expect(output.stderr).toContain('MTLS_FORWARD_ALLOW');
  });

  it.each([
    ['non-numeric PORT', { PORT: 'abc' }, 'Invalid PORT=abc: expected an integer from 0 to 65535'],
    ['PORT above 65535', { PORT: '65536' }, 'Invalid PORT=65536: expected an integer'],
    ['invalid HOST', { HOST: 'no host' }, 'Invalid HOST=no host: expected an IP address'],
    ['negative rate limit', { MTLS_RATE_LIMIT_RPS: '-1' }, 'Invalid MTLS_RATE_LIMIT_RPS=-1'],
    [
      'non-numeric cache TTL',
      { MTLS_CACHE_TTL_SECONDS: 'abc' },
      'Invalid MTLS_CACHE_TTL_SECONDS=abc',
    ],
    ['short secret key', { MTLS_LOCAL_SECRET_KEY: 'short' }, 'Invalid MTLS_LOCAL_SECRET_KEY'],
    [
      'zero forward time-out',
      { MTLS_FORWARD_TIMEOUT_MS: '0' },
      'Invalid MTLS_FORWARD_TIMEOUT_MS=0: expected an integer of at least 1',
    ],
    ['none JWT algorithm', { MTLS_JWT_ALGORITHMS: 'none' }, 'Invalid MTLS_JWT_ALGORITHMS=none'],
    ['HS256 JWT algorithm', { MTLS_JWT_ALGORITHMS: 'HS256' }, 'Invalid MTLS_JWT_ALGORITHMS=HS256'],
    ['invalid JWKS URL', { MTLS_JWKS_URL: 'notaurl' }, 'Invalid MTLS_JWKS_URL=notaurl'],
  ])('stops on %s', async (_case, environment, message) => {
    const output = await runStart({ MTLS_DATA_DIR: unusedDataDir, ...environment });
    const lines = stderrLines(output);

    expect(output.exitCode).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mtls-gateway did not start: /);
    expect(lines[0]).toContain(message);
    expect(await readdir(unusedDataDir).catch(() => [])).not.toContain(DATA_LOCK_FILE);
  });

  it('stops on a busy port', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as AddressInfo;

    let output: ChildResult;
    try {
      output = await runStart({ MTLS_DATA_DIR: unusedDataDir, HOST: '127.0.0.1', PORT: `${port}` });
    } finally {
      blocker.close();
    }
    const lines = stderrLines(output);

    expect(output.exitCode).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`mtls-gateway did not start: 127.0.0.1:${port} is already in use`);
    expect(lines[0]).toContain('set PORT to another port');
    expect(await readdir(unusedDataDir)).not.toContain(DATA_LOCK_FILE);
  });

  it('stops on a data folder in use', async () => {
    const output = await runStart({});
    const lines = stderrLines(output);

    expect(output.exitCode).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `mtls-gateway did not start: Data folder ${dataDir} is in use by process ${gatewayProcess.pid}`,
    );
  });
});

describe('dev-token', () => {
  it('prints token on last line', async () => {
    const result = await run('npm', ['run', 'dev-token', '--', '--account', ACCOUNT]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(lastLine(result.stdout)).toMatch(JWT_FORM);
  });

  it('prints only the token', async () => {
    const result = await runScript('dev-token.ts', ['--account', ACCOUNT]);

    expect(result.stdout).toMatch(/^[A-Za-z0-9_.-]+\n$/);
  });

  it('sets claims from options', async () => {
    const result = await runScript('dev-token.ts', [
      '--account',
      `${ACCOUNT},acme`,
      '--permissions',
      'mtls.read',
      '--expires-in',
      '120',
    ]);
    const claims = decodeJwt(lastLine(result.stdout));

    expect(claims.accounts).toEqual([ACCOUNT, 'acme']);
    expect(claims.permissions).toEqual(['mtls.read']);
    expect(claims.exp! - claims.iat!).toBe(120);
  });

  it('token works against gateway', async () => {
    const result = await runScript('dev-token.ts', ['--account', ACCOUNT]);

    const response = await call(gatewayUrl, 'GET', `/mtls/account/${ACCOUNT}/certificates`, {
      headers: { authorization: `Bearer ${lastLine(result.stdout)}` },
    });

    expect(response.status).toBe(200);
  });

  it('token keeps its permissions', async () => {
    const result = await runScript('dev-token.ts', [
      '--account',
      ACCOUNT,
      '--permissions',
      'mtls.read',
    ]);

    const response = await call(gatewayUrl, 'DELETE', `/mtls/account/${ACCOUNT}/certificates/1`, {
      headers: { authorization: `Bearer ${lastLine(result.stdout)}` },
    });

    expect(response.status).toBe(403);
  });

  it.each([
    ['missing account', []],
    ['invalid account', ['--account', 'a b']],
    ['unknown permission', ['--account', ACCOUNT, '--permissions', 'mtls.admin']],
    ['zero expiry', ['--account', ACCOUNT, '--expires-in', '0']],
    ['unknown option', ['--account', ACCOUNT, '--scope', 'x']],
  ])('rejects %s', async (_case, args) => {
    const result = await runScript('dev-token.ts', args);

    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: npm run dev-token -- --account');
  });
});

describe('dev-appkey', () => {
  let credentials: OAuthCredentials;
  let output: ChildResult;

  beforeAll(async () => {
    output = await run('npm', [
      'run',
      '--silent',
      'dev-appkey',
      '--',
      '--account',
      ACCOUNT,
      '--permissions',
      'mtls.read,mtls.write',
    ]);
    credentials = JSON.parse(lastLine(output.stdout));
  });

  it('prints one JSON line', () => {
    expect(output.exitCode, output.stderr).toBe(0);
    expect(output.stdout.split('\n')).toEqual([lastLine(output.stdout), '']);
  });

  it('prints the four credentials', () => {
    expect(Object.keys(credentials)).toEqual([
      'consumerKey',
      'consumerSecret',
      'token',
      'tokenSecret',
    ]);
    expect(Object.values(credentials).every((value) => /^[A-Za-z0-9_-]{16,}$/.test(value))).toBe(
      true,
    );
  });

  it('app key works against gateway', async () => {
    const pathname = `/mtls/account/${ACCOUNT}/certificates`;
    const { authorization } = signOAuthRequest({
      method: 'GET',
      url: `${gatewayUrl}${pathname}`,
      credentials,
    });

    const response = await call(gatewayUrl, 'GET', pathname, { headers: { authorization } });

    expect(response.status, response.text).toBe(200);
  });

  it('app key keeps its accounts', async () => {
    const pathname = '/mtls/account/acme/certificates';
    const { authorization } = signOAuthRequest({
      method: 'GET',
      url: `${gatewayUrl}${pathname}`,
      credentials,
    });

    const response = await call(gatewayUrl, 'GET', pathname, { headers: { authorization } });

    expect(response.status).toBe(403);
  });

  it('rejects every-account key', async () => {
    const result = await runScript('dev-appkey.ts', ['--account', '*']);

    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--account');
  });
});
