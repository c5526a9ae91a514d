import type { FloatArray } from './gradients';

/** Per-step constants of the AdamW update, computed once per step. */
export interface AdamWCoefficients {
  beta1: number;
  beta2: number;
  /** Multiplies every gradient value: 1, or maxGradNorm / gradNorm when clipping. */
  gradientScale: number;
  /** learningRate / (1 - beta1^t), the bias-corrected step size. */
  stepSize: number;
  /** 1 / sqrt(1 - beta2^t), the bias correction of the second moment under the square root. */
  inverseSqrtBias2: number;
  epsilon: number;
  /** 1 - learningRate * weightDecay for decayed parameters, 1 otherwise. */
  decayFactor: number;
}

/**
 * Applies AdamW to `length` consecutive elements: parameter, moments at `offset` and gradient
 * at `gradientOffset`. With g the scaled gradient and t the step number:
 *   m = beta1 m + (1 - beta1) g
 *   v = beta2 v + (1 - beta2) g^2
 *   p = p (1 - lr wd) - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)
 * The decay term uses p from before the step, so it is decoupled from the Adam term.
 */
export function applyAdamW(
  parameter: FloatArray,
  firstMoment: FloatArray,
  secondMoment: FloatArray,
  gradient: FloatArray,
  offset: number,
  gradientOffset: number,
  length: number,
  c: AdamWCoefficients,
): void {
  const oneMinusBeta1 = 1 - c.beta1;
  const oneMinusBeta2 = 1 - c.beta2;
  for (let j = 0; j < length; j++) {
    const i = offset + j;
    const g = gradient[gradientOffset + j] * c.gradientScale;
    const m = c.beta1 * firstMoment[i] + oneMinusBeta1 * g;
    const v = c.beta2 * secondMoment[i] + oneMinusBeta2 * g * g;
    firstMoment[i] = m;
    secondMoment[i] = v;
    const denominator = Math.sqrt(v) * c.inverseSqrtBias2 + c.epsilon;
    parameter[i] = parameter[i] * c.decayFactor - (c.stepSize * m) / denominator;
  }
}
