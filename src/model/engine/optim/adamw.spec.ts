import { AdamW, type Gradient, type ParameterTensor } from './adamw';
import { OptimizerError } from './errors';
import { createLearningRateSchedule } from './schedule';

const LR = 0.01;
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;
const WEIGHT_DECAY = 0.1;

function tensor(name: string, shape: number[], values: number[]): ParameterTensor {
  return { name, shape, data: Float64Array.from(values) };
}

function dense(values: number[]): Gradient {
  return { kind: 'dense', values: Float64Array.from(values) };
}

function rows(indices: number[], values: number[]): Gradient {
  return { kind: 'rows', rows: Int32Array.from(indices), values: Float64Array.from(values) };
}

function createAdamW(params: ParameterTensor[], weightDecay = WEIGHT_DECAY): AdamW {
  return new AdamW(params, {
    learningRate: LR,
    beta1: BETA1,
    beta2: BETA2,
    epsilon: EPSILON,
    weightDecay,
  });
}

describe('AdamW hand-computed steps', () => {
  // p = [0.5, -1, 2], gradients g1 = [0.1, -0.2, 0.4] then g2 = [0.2, 0.1, -0.3].
  function run(): { p: ParameterTensor; optimizer: AdamW } {
    const p = tensor('w', [3], [0.5, -1, 2]);
    return { p, optimizer: createAdamW([p]) };
  }

  it('matches the formula after step 1', () => {
    const { p, optimizer } = run();
    optimizer.step(new Map([['w', dense([0.1, -0.2, 0.4])]]));

    // Element 0: m1 = 0.1 * 0.1, v1 = 0.001 * 0.1^2, bias corrections 1 - 0.9 and 1 - 0.999.
    const m1 = (1 - BETA1) * 0.1;
    const v1 = (1 - BETA2) * 0.1 * 0.1;
    const mHat = m1 / (1 - BETA1);
    const vHat = v1 / (1 - BETA2);
    const expected0 = 0.5 - LR * WEIGHT_DECAY * 0.5 - (LR * mHat) / (Math.sqrt(vHat) + EPSILON);
    expect(p.data[0]).toBeCloseTo(expected0, 14);
    expect(p.data[0]).toBeCloseTo(0.4895, 7);

    // Element 1: g = -0.2, so mHat = -0.2 and sqrt(vHat) = 0.2.
    const expected1 = -1 - LR * WEIGHT_DECAY * -1 - (LR * -0.2) / (0.2 + EPSILON);
    expect(p.data[1]).toBeCloseTo(expected1, 14);
    expect(p.data[1]).toBeCloseTo(-0.989, 7);

    // Element 2: g = 0.4, so the Adam term is lr * 0.4 / (0.4 + eps).
    const expected2 = 2 - LR * WEIGHT_DECAY * 2 - (LR * 0.4) / (0.4 + EPSILON);
    expect(p.data[2]).toBeCloseTo(expected2, 14);
    expect(p.data[2]).toBeCloseTo(1.988, 7);
  });

  it('matches the formula after step 2', () => {
    const { p, optimizer } = run();
    optimizer.step(new Map([['w', dense([0.1, -0.2, 0.4])]]));
    const p1 = p.data[0];
    optimizer.step(new Map([['w', dense([0.2, 0.1, -0.3])]]));

    // Element 0: m2 = 0.9 * 0.01 + 0.1 * 0.2 = 0.029, v2 = 0.999 * 1e-5 + 0.001 * 0.04.
    const m2 = BETA1 * ((1 - BETA1) * 0.1) + (1 - BETA1) * 0.2;
    const v2 = BETA2 * ((1 - BETA2) * 0.01) + (1 - BETA2) * 0.04;
    expect(m2).toBeCloseTo(0.029, 15);
    expect(v2).toBeCloseTo(0.00004999, 15);
    const mHat = m2 / (1 - BETA1 ** 2);
    const vHat = v2 / (1 - BETA2 ** 2);
    const expected0 = p1 - LR * WEIGHT_DECAY * p1 - (LR * mHat) / (Math.sqrt(vHat) + EPSILON);
    expect(p.data[0]).toBeCloseTo(expected0, 14);
    expect(p.data[0]).toBeCloseTo(0.479359, 6);

    const state = optimizer.state().parameters[0];
    expect(state.firstMoment[0]).toBeCloseTo(0.029, 15);
    expect(state.secondMoment[0]).toBeCloseTo(0.00004999, 15);
  });

  it('reports the step result', () => {
    const { optimizer } = run();
    const result = optimizer.step(new Map([['w', dense([0.3, 0, 0.4])]]));
    expect(result.step).toBe(1);
    expect(result.learningRate).toBe(LR);
    expect(result.gradNorm).toBeCloseTo(0.5, 15);
    expect(result.clipped).toBe(false);
    expect(optimizer.stepCount).toBe(1);
  });

  it('updates float32 parameters', () => {
    const p: ParameterTensor = { name: 'w', shape: [2], data: Float32Array.from([0.5, -1]) };
    const optimizer = createAdamW([p]);
    optimizer.step(new Map([['w', dense([0.1, -0.2])]]));
    expect(p.data[0]).toBeCloseTo(0.4895, 6);
    expect(p.data[1]).toBeCloseTo(-0.989, 6);
    expect(optimizer.state().parameters[0].firstMoment).toBeInstanceOf(Float32Array);
  });
});

describe('AdamW weight decay', () => {
  it('decays without going through Adam', () => {
    // Zero gradient: the Adam term is 0 / (0 + eps) = 0, so p = 4 * (1 - lr * wd).
    // L2 regularisation folded into the gradient would give 4 - lr instead.
    const p = tensor('w', [1], [4]);
    const optimizer = new AdamW([p], { learningRate: 0.1, weightDecay: 0.5 });
    optimizer.step(new Map([['w', dense([0])]]));
    expect(p.data[0]).toBeCloseTo(4 * (1 - 0.1 * 0.5), 14);
  });

  it('leaves the moments untouched', () => {
    const p = tensor('w', [1], [4]);
    const optimizer = new AdamW([p], { learningRate: 0.1, weightDecay: 0.5 });
    optimizer.step(new Map([['w', dense([0])]]));
    const state = optimizer.state().parameters[0];
    expect(state.firstMoment[0]).toBe(0);
    expect(state.secondMoment[0]).toBe(0);
  });

  it('skips parameters named by noDecay', () => {
    const weight = tensor('layer.weight', [1], [4]);
    const bias = tensor('layer.bias', [1], [4]);
    const optimizer = new AdamW([weight, bias], {
      learningRate: 0.1,
      weightDecay: 0.5,
      noDecay: (name) => name.endsWith('.bias'),
    });
    optimizer.step(
      new Map([
        ['layer.weight', dense([0])],
        ['layer.bias', dense([0])],
      ]),
    );
    expect(weight.data[0]).toBeCloseTo(3.8, 14);
    expect(bias.data[0]).toBe(4);
  });

  it('skips parameters without a gradient', () => {
    const a = tensor('a', [1], [4]);
    const b = tensor('b', [1], [4]);
    const optimizer = new AdamW([a, b], { learningRate: 0.1, weightDecay: 0.5 });
    optimizer.step(new Map([['a', dense([0])]]));
    expect(a.data[0]).toBeCloseTo(3.8, 14);
    expect(b.data[0]).toBe(4);
  });
});

describe('AdamW bias correction', () => {
  it('moves by lr on step 1 at any gradient scale', () => {
    // Without correction, m = 0.1 g and sqrt(v) = 0.0316 |g| would give a step of 3.16 lr.
    const p = tensor('w', [2], [0, 0]);
    const optimizer = createAdamW([p], 0);
    optimizer.step(new Map([['w', dense([0.001, -5])]]));
    expect(p.data[0]).toBeCloseTo(-LR, 6);
    expect(p.data[1]).toBeCloseTo(LR, 6);
  });

  it('moves by lr each step for a constant gradient', () => {
    // m_t = g (1 - beta1^t) and v_t = g^2 (1 - beta2^t), so the corrected ratio is 1 each step.
    const p = tensor('w', [1], [0]);
    const optimizer = createAdamW([p], 0);
    for (let t = 0; t < 10; t++) {
      optimizer.step(new Map([['w', dense([0.3])]]));
    }
    expect(p.data[0]).toBeCloseTo(-10 * LR, 6);
  });
});

describe('AdamW gradient clipping', () => {
  // Global norm over a dense gradient [3, 0] and one row [0, 4] of a table: sqrt(9 + 16) = 5.
  function setup(maxGradNorm: number): { optimizer: AdamW; grads: Map<string, Gradient> } {
    const weight = tensor('weight', [2], [0, 0]);
    const table = tensor('table', [3, 2], [0, 0, 0, 0, 0, 0]);
    const optimizer = new AdamW([weight, table], { learningRate: LR, maxGradNorm });
    const grads = new Map<string, Gradient>([
      ['weight', dense([3, 0])],
      ['table', rows([1], [0, 4])],
    ]);
    return { optimizer, grads };
  }

  it('returns the pre-clip global norm', () => {
    const { optimizer, grads } = setup(1);
    const result = optimizer.step(grads);
    expect(result.gradNorm).toBeCloseTo(5, 14);
    expect(result.clipped).toBe(true);
  });

  it('scales every gradient by max / norm', () => {
    // Scale 1 / 5: clipped gradients are 0.6 and 0.8, so m = 0.1 g and v = 0.001 g^2.
    const { optimizer, grads } = setup(1);
    optimizer.step(grads);
    const [weight, table] = optimizer.state().parameters;
    expect(weight.firstMoment[0]).toBeCloseTo(0.1 * 0.6, 14);
    expect(weight.secondMoment[0]).toBeCloseTo(0.001 * 0.36, 14);
    expect(table.firstMoment[3]).toBeCloseTo(0.1 * 0.8, 14);
    expect(table.secondMoment[3]).toBeCloseTo(0.001 * 0.64, 14);
  });

  it('leaves gradients below the maximum', () => {
    const { optimizer, grads } = setup(10);
    const result = optimizer.step(grads);
    expect(result.clipped).toBe(false);
    expect(optimizer.state().parameters[0].firstMoment[0]).toBeCloseTo(0.3, 14);
  });

  it('does not modify the gradient arrays', () => {
    const { optimizer, grads } = setup(1);
    optimizer.step(grads);
    expect(grads.get('weight')?.values[0]).toBe(3);
  });
});

describe('AdamW row-sparse gradients', () => {
  const initial = [1, 2, 3, 4, 5, 6, 7, 8];

  it('matches dense on listed rows at step 1', () => {
    const sparse = tensor('table', [4, 2], initial);
    const reference = tensor('table', [4, 2], initial);
    createAdamW([sparse]).step(new Map([['table', rows([2, 0], [0.5, -0.1, 0.2, 0.3])]]));
    createAdamW([reference]).step(new Map([['table', dense([0.2, 0.3, 0, 0, 0.5, -0.1, 0, 0])]]));
    for (const i of [0, 1, 4, 5]) {
      expect(sparse.data[i]).toBe(reference.data[i]);
    }
  });

  it('matches dense for a row in every step', () => {
    const sparse = tensor('table', [2, 1], [1, 2]);
    const reference = tensor('table', [2, 1], [1, 2]);
    const sparseOptimizer = createAdamW([sparse]);
    const referenceOptimizer = createAdamW([reference]);
    sparseOptimizer.step(new Map([['table', rows([0, 1], [0.5, 0.1])]]));
    referenceOptimizer.step(new Map([['table', dense([0.5, 0.1])]]));
    sparseOptimizer.step(new Map([['table', rows([0], [-0.3])]]));
    referenceOptimizer.step(new Map([['table', dense([-0.3, 0])]]));
    expect(sparse.data[0]).toBe(reference.data[0]);
    expect(sparse.data[1]).not.toBe(reference.data[1]);
  });

  it('leaves rows not listed unchanged', () => {
    const sparse = tensor('table', [4, 2], initial);
    const optimizer = createAdamW([sparse]);
    optimizer.step(new Map([['table', rows([2, 0], [0.5, -0.1, 0.2, 0.3])]]));
    // Dense AdamW would decay these rows by lr * wd, lazy Adam does not touch them.
    expect(Array.from(sparse.data.subarray(2, 4))).toEqual([3, 4]);
    expect(Array.from(sparse.data.subarray(6, 8))).toEqual([7, 8]);
    const state = optimizer.state().parameters[0];
    expect(Array.from(state.firstMoment.subarray(2, 4))).toEqual([0, 0]);
    expect(Array.from(state.secondMoment.subarray(6, 8))).toEqual([0, 0]);
  });

  it('keeps momentum of rows not listed', () => {
    const sparse = tensor('table', [2, 1], [1, 1]);
    const optimizer = createAdamW([sparse]);
    optimizer.step(new Map([['table', rows([0], [0.5])]]));
    const afterFirst = sparse.data[0];
    optimizer.step(new Map([['table', rows([1], [0.5])]]));
    expect(sparse.data[0]).toBe(afterFirst);
    expect(optimizer.state().parameters[0].firstMoment[0]).toBeCloseTo(0.05, 15);
  });

  it('uses the global step for bias correction', () => {
    // Row 1 is first touched at step 2, so mHat = 0.1 g / (1 - 0.9^2), not g.
    const sparse = tensor('table', [2, 1], [0, 0]);
    const optimizer = createAdamW([sparse], 0);
    optimizer.step(new Map([['table', rows([0], [1])]]));
    optimizer.step(new Map([['table', rows([1], [1])]]));
    const mHat = (1 - BETA1) / (1 - BETA1 ** 2);
    const vHat = (1 - BETA2) / (1 - BETA2 ** 2);
    expect(sparse.data[1]).toBeCloseTo((-LR * mHat) / (Math.sqrt(vHat) + EPSILON), 14);
  });
});

describe('AdamW state', () => {
  function build(): { params: ParameterTensor[]; optimizer: AdamW } {
    const params = [tensor('w', [2], [0.5, -1]), tensor('table', [3, 1], [1, 2, 3])];
    const optimizer = new AdamW(params, {
      learningRate: createLearningRateSchedule({
        kind: 'constant',
        learningRate: LR,
        warmupSteps: 4,
      }),
      weightDecay: WEIGHT_DECAY,
    });
    return { params, optimizer };
  }

  const gradsAt = (t: number): Map<string, Gradient> =>
    new Map<string, Gradient>([
      ['w', dense([0.1 * t, -0.2])],
      ['table', rows([t % 3], [0.3])],
    ]);

  it('restores identical next steps', () => {
    const original = build();
    original.optimizer.step(gradsAt(1));
    original.optimizer.step(gradsAt(2));
    const snapshot = original.optimizer.state();
    const savedParams = original.params.map((p) => p.data.slice());
    const expected = original.optimizer.step(gradsAt(3));

    const restored = build();
    restored.params.forEach((p, i) => p.data.set(savedParams[i]));
    restored.optimizer.loadState(snapshot);
    const actual = restored.optimizer.step(gradsAt(3));

    expect(actual).toEqual(expected);
    expect(restored.params[0].data).toEqual(original.params[0].data);
    expect(restored.params[1].data).toEqual(original.params[1].data);
    expect(restored.optimizer.state()).toEqual(original.optimizer.state());
  });

  it('returns a copy unaffected by later steps', () => {
    const { optimizer } = build();
    optimizer.step(gradsAt(1));
    const snapshot = optimizer.state();
    const firstMoment = snapshot.parameters[0].firstMoment.slice();
    optimizer.step(gradsAt(2));
    expect(snapshot.step).toBe(1);
    expect(snapshot.parameters[0].firstMoment).toEqual(firstMoment);
  });

  it('rejects a state with a missing parameter', () => {
    const { optimizer } = build();
    const snapshot = optimizer.state();
    snapshot.parameters.pop();
    expect(() => optimizer.loadState(snapshot)).toThrow(
      'invalid optimizer state: parameter table is missing',
    );
  });

  it('rejects a state with wrong lengths', () => {
    const { optimizer } = build();
    const snapshot = optimizer.state();
    snapshot.parameters[1].firstMoment = new Float64Array(2);
    expect(() => optimizer.loadState(snapshot)).toThrow(
      'invalid optimizer state: moments of table have 2 values, expected 3',
    );
  });

  it('rejects a negative second moment', () => {
    const { optimizer } = build();
    const snapshot = optimizer.state();
    snapshot.parameters[0].secondMoment[1] = -1;
    expect(() => optimizer.loadState(snapshot)).toThrow('second moment of w contains negative');
  });

  it('keeps the state when loading fails', () => {
    const { optimizer } = build();
    optimizer.step(gradsAt(1));
    const before = optimizer.state();
    const bad = optimizer.state();
    bad.step = 7;
    bad.parameters[0].firstMoment.fill(9);
    bad.parameters.push({
      name: 'extra',
      firstMoment: new Float64Array(1),
      secondMoment: new Float64Array(1),
    });
    expect(() => optimizer.loadState(bad)).toThrow('parameter extra is not known');
    expect(optimizer.state()).toEqual(before);
  });
});

describe('AdamW gradient validation', () => {
  function build(): { params: ParameterTensor[]; optimizer: AdamW } {
    const params = [tensor('w', [2], [0.5, -1]), tensor('table', [3, 2], [1, 2, 3, 4, 5, 6])];
    return { params, optimizer: createAdamW(params) };
  }

  it('rejects an unknown parameter', () => {
    const { optimizer } = build();
    expect(() => optimizer.step(new Map([['bias', dense([1])]]))).toThrow(
      'gradient for unknown parameter bias',
    );
  });

  it('rejects a wrong dense length', () => {
    const { optimizer } = build();
    expect(() => optimizer.step(new Map([['w', dense([1, 2, 3])]]))).toThrow(
      'invalid gradient for w: dense gradient has 3 values, expected 2',
    );
  });

  it('rejects a wrong rows length', () => {
    const { optimizer } = build();
    expect(() => optimizer.step(new Map([['table', rows([0, 1], [1, 2, 3])]]))).toThrow(
      'rows gradient has 3 values, expected 2 rows x 2 = 4',
    );
  });

  it('rejects an out-of-range row', () => {
    const { optimizer } = build();
    expect(() => optimizer.step(new Map([['table', rows([3], [1, 2])]]))).toThrow(
      'row index 3 at position 0 is outside [0, 3)',
    );
  });

  it('rejects a duplicate row', () => {
    const { optimizer } = build();
    expect(() => optimizer.step(new Map([['table', rows([1, 1], [1, 2, 3, 4])]]))).toThrow(
      'row index 1 is listed more than once',
    );
  });

  it('accepts the same row in the next step', () => {
    const { optimizer } = build();
    optimizer.step(new Map([['table', rows([1], [1, 2])]]));
    expect(() => optimizer.step(new Map([['table', rows([1], [1, 2])]]))).not.toThrow();
  });

  it('names the parameter with NaN', () => {
    const { optimizer } = build();
    const grads = new Map([
      ['w', dense([0.1, 0.2])],
      ['table', rows([2], [1, NaN])],
    ]);
    expect(() => optimizer.step(grads)).toThrow('gradient of table contains NaN at index 1');
    expect(() => optimizer.step(grads)).toThrow(
      expect.objectContaining({ code: 'NON_FINITE_GRADIENT', parameter: 'table' }),
    );
  });

  it('changes nothing on a rejected step', () => {
    const { params, optimizer } = build();
    const grads = new Map([
      ['w', dense([0.1, 0.2])],
      ['table', dense([1, 2, 3, Infinity, 5, 6])],
    ]);
    expect(() => optimizer.step(grads)).toThrow('gradient of table contains Infinity at index 3');
    expect(Array.from(params[0].data)).toEqual([0.5, -1]);
    expect(optimizer.stepCount).toBe(0);
    expect(optimizer.state().parameters[0].firstMoment).toEqual(new Float64Array(2));
  });
});

describe('AdamW option validation', () => {
  const params = (): ParameterTensor[] => [tensor('w', [1], [0])];
  const cases: Array<[string, object, string]> = [
    [
      'learningRate',
      { learningRate: 0 },
      'invalid learningRate: 0; expected a finite number in (0, Infinity)',
    ],
    ['beta1', { beta1: 1 }, 'invalid beta1: 1; expected a finite number in [0, 1)'],
    ['beta2', { beta2: -0.1 }, 'invalid beta2: -0.1; expected a finite number in [0, 1)'],
    ['epsilon', { epsilon: 0 }, 'invalid epsilon: 0; expected a finite number in (0, Infinity)'],
    [
      'weightDecay',
      { weightDecay: NaN },
      'invalid weightDecay: NaN; expected a finite number in [0, Infinity)',
    ],
    [
      'maxGradNorm',
      { maxGradNorm: -1 },
      'invalid maxGradNorm: -1; expected a finite number in (0, Infinity)',
    ],
  ];

  it.each(cases)('rejects invalid %s', (_option, overrides, message) => {
    const create = () => new AdamW(params(), { learningRate: LR, ...overrides });
    expect(create).toThrow(message);
    expect(create).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('rejects a schedule returning NaN', () => {
    const optimizer = new AdamW(params(), { learningRate: { learningRateAt: () => NaN } });
    expect(() => optimizer.step(new Map([['w', dense([1])]]))).toThrow(
      'invalid learningRate at step 1: NaN',
    );
    expect(optimizer.stepCount).toBe(0);
  });

  it('rejects duplicate parameter names', () => {
    expect(() => new AdamW([...params(), ...params()], { learningRate: LR })).toThrow(
      'invalid parameter w: names must be non-empty and unique',
    );
  });

  it('rejects a shape that does not match data', () => {
    expect(() => new AdamW([tensor('w', [2, 2], [1, 2, 3])], { learningRate: LR })).toThrow(
      'invalid parameter w: shape [2, 2] has 4 elements but data has 3',
    );
  });

  it('raises OptimizerError', () => {
    expect(() => new AdamW(params(), { learningRate: -1 })).toThrow(OptimizerError);
  });
});
