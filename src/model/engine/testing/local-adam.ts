import { Gradient, ParameterTensor } from '../session';

/**
 * Minimal Adam for the engine's own tests, so they do not depend on the optimizer module.
 * It applies dense and row-sparse gradients without weight decay or clipping.
 */
export class LocalAdam {
  private readonly moments = new Map<string, { m: Float64Array; v: Float64Array }>();
  private stepCount = 0;

  constructor(
    private readonly parameters: readonly ParameterTensor[],
    private readonly learningRate: number,
  ) {
    for (const parameter of parameters) {
      const length = parameter.data.length;
      this.moments.set(parameter.name, {
        m: new Float64Array(length),
        v: new Float64Array(length),
      });
    }
  }

  step(gradients: ReadonlyMap<string, Gradient>): void {
    this.stepCount++;
    const correction1 = 1 - 0.9 ** this.stepCount;
    const correction2 = 1 - 0.999 ** this.stepCount;
    for (const parameter of this.parameters) {
      const gradient = gradients.get(parameter.name);
      const moment = this.moments.get(parameter.name);
      if (gradient === undefined || moment === undefined) {
        continue;
      }
      const rowSize = gradient.kind === 'rows' ? parameter.data.length / parameter.shape[0] : 0;
      gradient.values.forEach((g, index) => {
        const target =
          gradient.kind === 'rows'
            ? gradient.rows[Math.floor(index / rowSize)] * rowSize + (index % rowSize)
            : index;
        moment.m[target] = 0.9 * moment.m[target] + 0.1 * g;
        moment.v[target] = 0.999 * moment.v[target] + 0.001 * g * g;
        const update =
          moment.m[target] / correction1 / (Math.sqrt(moment.v[target] / correction2) + 1e-8);
        parameter.data[target] -= this.learningRate * update;
      });
    }
  }
}
