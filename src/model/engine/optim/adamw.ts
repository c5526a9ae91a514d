import { applyAdamW, type AdamWCoefficients } from './adamw-kernel';
import {
  learningRateForStep,
  resolveAdamWOptions,
  type AdamWOptions,
  type ResolvedAdamWOptions,
} from './adamw-options';
import { OptimizerError } from './errors';
import {
  sumOfSquares,
  validateGradientShape,
  type FloatArray,
  type Gradient,
  type ParameterLayout,
} from './gradients';

export type { AdamWOptions } from './adamw-options';
export type { FloatArray, Gradient } from './gradients';

/** A trainable tensor that the optimizer updates in place. */
export interface ParameterTensor {
  name: string;
  shape: readonly number[];
  data: FloatArray;
}

/** Outcome of one optimizer step. */
export interface AdamWStepResult {
  /** 1-based number of the step just taken. */
  step: number;
  learningRate: number;
  /** Global L2 norm of all gradients before clipping. */
  gradNorm: number;
  clipped: boolean;
}

/** Moments of one parameter, in the parameter's element type. */
export interface AdamWParameterState {
  name: string;
  firstMoment: FloatArray;
  secondMoment: FloatArray;
}

/** Optimizer state for checkpoints: the number of steps taken and the moments. */
export interface AdamWState {
  step: number;
  parameters: AdamWParameterState[];
}

interface ParameterSlot extends ParameterLayout {
  tensor: ParameterTensor;
  firstMoment: FloatArray;
  secondMoment: FloatArray;
  decayed: boolean;
  rowMarks: Uint32Array | undefined;
}

/**
 * AdamW (Adam with decoupled weight decay) over dense and row-sparse gradients.
 *
 * Each step: validate every gradient, compute the global L2 norm over all gradients and clip
 * to `maxGradNorm`, then update parameters in place. Bias correction uses the global step count.
 * Weight decay multiplies a parameter by (1 - lr * weightDecay), separately from the Adam term,
 * and is skipped for names where `noDecay` returns true.
 *
 * Row-sparse gradients use lazy Adam: only the listed rows of the parameter and of both moments
 * change, including weight decay. Rows that are not listed keep their moments, so their
 * momentum does not decay and they do not move, while dense AdamW would still move them by the
 * decaying momentum and by weight decay. Bias correction still uses the global step count, so a
 * row first touched at step 100 gets the step-100 correction. A row listed in every step so far
 * gets exactly the dense update, so on the first step the listed rows match a dense step with
 * zero gradient in the other rows.
 *
 * A parameter with no entry in the gradient map is left unchanged (no Adam term, no decay).
 *
 * Invalid input throws OptimizerError before any parameter, moment or the step count changes.
 * This includes a NaN or infinite gradient (code NON_FINITE_GRADIENT, naming the parameter),
 * so a trainer that wants to skip such a batch catches that code and goes on with the next.
 */
export class AdamW {
  private readonly options: ResolvedAdamWOptions;
  private readonly slots = new Map<string, ParameterSlot>();
  private steps = 0;
  private markValue = 0;

  constructor(params: ParameterTensor[], options: AdamWOptions) {
    this.options = resolveAdamWOptions(options);
    for (const tensor of params) {
      this.slots.set(tensor.name, this.createSlot(tensor));
    }
  }

  /** Number of steps taken so far. */
  get stepCount(): number {
    return this.steps;
  }

  /** Applies one AdamW update to every parameter named in `grads`. */
  step(grads: Map<string, Gradient>): AdamWStepResult {
    const sumSquares = this.validateGradients(grads);
    const step = this.steps + 1;
    const learningRate = learningRateForStep(this.options.learningRate, step);

    const gradNorm = Math.sqrt(sumSquares);
    const { maxGradNorm } = this.options;
    const clipped = maxGradNorm !== undefined && gradNorm > maxGradNorm;
    const gradientScale = clipped ? maxGradNorm / gradNorm : 1;

    const decayed = this.coefficients(step, learningRate, gradientScale, true);
    const notDecayed = this.coefficients(step, learningRate, gradientScale, false);
    for (const [name, gradient] of grads) {
      const slot = this.slots.get(name) as ParameterSlot;
      updateSlot(slot, gradient, slot.decayed ? decayed : notDecayed);
    }

    this.steps = step;
    return { step, learningRate, gradNorm, clipped };
  }

  /** Returns a copy of the step count and moments, unaffected by later steps. */
  state(): AdamWState {
    const parameters = [...this.slots.values()].map((slot) => ({
      name: slot.name,
      firstMoment: slot.firstMoment.slice(),
      secondMoment: slot.secondMoment.slice(),
    }));
    return { step: this.steps, parameters };
  }

  /**
   * Restores a state from `state()`, copying its arrays. The state must list every parameter of
   * this optimizer exactly once with matching lengths. Nothing changes when validation fails.
   */
  loadState(state: AdamWState): void {
    if (!Number.isSafeInteger(state.step) || state.step < 0) {
      throwInvalidState(`step is ${state.step}, expected an integer >= 0`);
    }
    const byName = new Map<string, AdamWParameterState>();
    for (const entry of state.parameters) {
      this.validateParameterState(entry, byName);
      byName.set(entry.name, entry);
    }
    for (const name of this.slots.keys()) {
      if (!byName.has(name)) {
        throwInvalidState(`parameter ${name} is missing`);
      }
    }

    for (const [name, entry] of byName) {
      const slot = this.slots.get(name) as ParameterSlot;
      slot.firstMoment.set(entry.firstMoment);
      slot.secondMoment.set(entry.secondMoment);
    }
    this.steps = state.step;
  }

  private createSlot(tensor: ParameterTensor): ParameterSlot {
    const { name, shape, data } = tensor;
    if (typeof name !== 'string' || name === '' || this.slots.has(name)) {
      throwInvalidParameter(name, 'names must be non-empty and unique');
    }
    if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throwInvalidParameter(name, 'data must be a Float32Array or a Float64Array');
    }
    if (!shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
      throwInvalidParameter(name, `shape [${shape.join(', ')}] must contain integers >= 0`);
    }
    const length = shape.reduce((product, size) => product * size, 1);
    if (length !== data.length) {
      throwInvalidParameter(
        name,
        `shape [${shape.join(', ')}] has ${length} elements but data has ${data.length}`,
      );
    }

    const rowCount = shape.length > 0 ? shape[0] : 1;
    return {
      name,
      length,
      rowCount,
      rowSize: rowCount > 0 ? length / rowCount : 0,
      tensor,
      firstMoment: allocateLike(data),
      secondMoment: allocateLike(data),
      decayed: this.options.weightDecay > 0 && !this.options.noDecay(name),
      rowMarks: undefined,
    };
  }

  /** Validates every gradient and returns the sum of squares over all of them. */
  private validateGradients(grads: Map<string, Gradient>): number {
    this.markValue = this.markValue === 0xffffffff ? 1 : this.markValue + 1;
    if (this.markValue === 1) {
      // After the counter wraps around to 1, old marks could equal it, so they are cleared.
      this.slots.forEach((slot) => slot.rowMarks?.fill(0));
    }

    let total = 0;
    for (const [name, gradient] of grads) {
      const slot = this.slots.get(name);
      if (slot === undefined) {
        throw new OptimizerError(
          'UNKNOWN_PARAMETER',
          `gradient for unknown parameter ${name}; the optimizer was created without it`,
          name,
        );
      }
      validateGradientShape(slot, gradient, () => rowMarksOf(slot), this.markValue);
      total += sumOfSquares(name, gradient.values);
    }
    return total;
  }

  private coefficients(
    step: number,
    learningRate: number,
    gradientScale: number,
    decayed: boolean,
  ): AdamWCoefficients {
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    return {
      beta1,
      beta2,
      gradientScale,
      stepSize: learningRate / (1 - beta1 ** step),
      inverseSqrtBias2: 1 / Math.sqrt(1 - beta2 ** step),
      epsilon,
      decayFactor: decayed ? 1 - learningRate * weightDecay : 1,
    };
  }

  private validateParameterState(
    entry: AdamWParameterState,
    seen: Map<string, AdamWParameterState>,
  ): void {
    const slot = this.slots.get(entry.name);
    if (slot === undefined) {
      throwInvalidState(`parameter ${entry.name} is not known to this optimizer`);
    }
    if (seen.has(entry.name)) {
      throwInvalidState(`parameter ${entry.name} is listed more than once`);
    }
    for (const moment of [entry.firstMoment, entry.secondMoment]) {
      if (moment?.length !== slot.length) {
        throwInvalidState(
          `moments of ${entry.name} have ${moment?.length} values, expected ${slot.length}`,
        );
      }
    }
    if (!entry.firstMoment.every(Number.isFinite)) {
      throwInvalidState(`first moment of ${entry.name} contains NaN or infinite values`);
    }
    if (!entry.secondMoment.every((value) => Number.isFinite(value) && value >= 0)) {
      throwInvalidState(`second moment of ${entry.name} contains negative, NaN or infinite values`);
    }
  }
}

function updateSlot(slot: ParameterSlot, gradient: Gradient, c: AdamWCoefficients): void {
  const { data } = slot.tensor;
  switch (gradient.kind) {
    case 'dense':
      applyAdamW(data, slot.firstMoment, slot.secondMoment, gradient.values, 0, 0, slot.length, c);
      return;
    case 'rows':
      for (let k = 0; k < gradient.rows.length; k++) {
        const offset = gradient.rows[k] * slot.rowSize;
        const gradientOffset = k * slot.rowSize;
        applyAdamW(
          data,
          slot.firstMoment,
          slot.secondMoment,
          gradient.values,
          offset,
          gradientOffset,
          slot.rowSize,
          c,
        );
      }
      return;
    default:
      return gradient satisfies never;
  }
}

function rowMarksOf(slot: ParameterSlot): Uint32Array {
  slot.rowMarks ??= new Uint32Array(slot.rowCount);
  return slot.rowMarks;
}

function allocateLike(data: FloatArray): FloatArray {
  return data instanceof Float32Array
    ? new Float32Array(data.length)
    : new Float64Array(data.length);
}

function throwInvalidParameter(name: string, detail: string): never {
  throw new OptimizerError('INVALID_PARAMETER', `invalid parameter ${name}: ${detail}`, name);
}

function throwInvalidState(detail: string): never {
  throw new OptimizerError('INVALID_STATE', `invalid optimizer state: ${detail}`);
}
