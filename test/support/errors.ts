import { GatewayError } from '../../shared/errors.js';

/** Runs `action` and returns the GatewayError it throws; any other outcome fails the test. */
export function errorOf(action: () => unknown): GatewayError {
  try {
    action();
  } catch (error) {
    if (error instanceof GatewayError) {
      return error;
    }
    throw error;
  }
  throw new Error('Expected a GatewayError, but nothing was thrown.');
}

/** Awaits `promise` and returns the GatewayError it rejects with; any other outcome fails. */
export async function rejectionOf(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) {
      return error;
    }
    throw error;
  }
  throw new Error('Expected the promise to reject with a GatewayError.');
}
