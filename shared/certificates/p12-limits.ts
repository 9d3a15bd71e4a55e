import { iterationsTooHigh, totalIterationsTooHigh } from './p12-errors.js';
import type { Pfx, SafeBag } from './p12-structure.js';

/**
 * How many times `maxIterations` all derivations of one file may use together. A file with
 * the maximum count on its MAC, its certificates and its key fits, with room for one more
 * encrypted part or a second MAC attempt, because an empty or non-ASCII password is tried in
 * two encodings. A file made of many encrypted parts does not fit.
 */
const TOTAL_ITERATION_FACTOR = 4;

/**
 * Iteration counts a p12 may make the gateway run. Each key derivation is charged here before
 * it runs, so a crafted file fails with `iterations_too_high` instead of costing seconds of CPU.
 */
export class IterationBudget {
  #spent = 0;

  constructor(private readonly maxIterations: number) {}

  /** Charges one derivation of `iterations` rounds; `part` names it in the error message. */
  spend(iterations: number, part: string): void {
    if (iterations > this.maxIterations) {
      throw iterationsTooHigh(part, iterations, this.maxIterations);
    }

    this.#spent += iterations;
    const maxTotal = this.maxIterations * TOTAL_ITERATION_FACTOR;
    if (this.#spent > maxTotal) {
      throw totalIterationsTooHigh(this.#spent, maxTotal);
    }
  }

  /** Charges the shrouded keys among `bags`, which become visible once their part is decrypted. */
  spendOnKeys(bags: SafeBag[]): void {
    for (const bag of bags) {
      if (bag.kind === 'shroudedKey') {
        this.spend(bag.scheme.iterations, 'the private key');
      }
    }
  }
}

/**
 * Charges every derivation that the unencrypted structure shows: the MAC once per password
 * form to try, each encrypted part, and each shrouded key outside an encrypted part. This
 * runs before the first derivation. Keys inside an encrypted part are charged when it opens.
 */
export function checkIterations(pfx: Pfx, budget: IterationBudget, macAttempts: number): void {
  if (pfx.mac !== undefined) {
    for (let attempt = 0; attempt < macAttempts; attempt += 1) {
      budget.spend(pfx.mac.iterations, 'the MAC');
    }
  }

  for (const part of pfx.parts) {
    if (part.kind === 'encrypted') {
      budget.spend(part.scheme.iterations, 'the encrypted contents');
    } else {
      budget.spendOnKeys(part.bags);
    }
  }
}
