import { OptimizerError } from './errors';
import { createLearningRateSchedule, type LearningRateScheduleOptions } from './schedule';

describe('warm-up constant schedule', () => {
  const schedule = createLearningRateSchedule({
    kind: 'constant',
    learningRate: 1e-3,
    warmupSteps: 10,
  });

  it('starts warm-up at lr / warmupSteps', () => {
    expect(schedule.learningRateAt(1)).toBeCloseTo(1e-4, 12);
  });

  it('is halfway at mid warm-up', () => {
    expect(schedule.learningRateAt(5)).toBeCloseTo(5e-4, 12);
  });

  it('reaches lr at the last warm-up step', () => {
    expect(schedule.learningRateAt(10)).toBe(1e-3);
  });

  it('stays constant after warm-up', () => {
    expect(schedule.learningRateAt(11)).toBe(1e-3);
    expect(schedule.learningRateAt(100000)).toBe(1e-3);
  });

  it('skips warm-up when warmupSteps is 0', () => {
    const noWarmup = createLearningRateSchedule({
      kind: 'constant',
      learningRate: 2,
      warmupSteps: 0,
    });
    expect(noWarmup.learningRateAt(1)).toBe(2);
  });
});

describe('warm-up cosine schedule', () => {
  const schedule = createLearningRateSchedule({
    kind: 'cosine',
    learningRate: 1,
    warmupSteps: 10,
    totalSteps: 110,
    minLearningRate: 0.1,
  });

  it('warms up linearly', () => {
    expect(schedule.learningRateAt(1)).toBeCloseTo(0.1, 12);
    expect(schedule.learningRateAt(5)).toBeCloseTo(0.5, 12);
  });

  it('peaks at the end of warm-up', () => {
    expect(schedule.learningRateAt(10)).toBe(1);
  });

  it('is halfway at mid decay', () => {
    // Step 60 is 50 of 100 decay steps: 0.1 + 0.9 * 0.5 * (1 + cos(pi / 2)).
    expect(schedule.learningRateAt(60)).toBeCloseTo(0.55, 12);
  });

  it('follows the cosine at a quarter', () => {
    // Step 35 is 25 of 100 decay steps: 0.1 + 0.9 * 0.5 * (1 + cos(pi / 4)).
    expect(schedule.learningRateAt(35)).toBeCloseTo(0.1 + 0.45 * (1 + Math.SQRT1_2), 12);
  });

  it('reaches the minimum at totalSteps', () => {
    expect(schedule.learningRateAt(110)).toBeCloseTo(0.1, 12);
  });

  it('keeps the minimum after totalSteps', () => {
    expect(schedule.learningRateAt(500)).toBeCloseTo(0.1, 12);
  });

  it('decays to 0 by default', () => {
    const toZero = createLearningRateSchedule({
      kind: 'cosine',
      learningRate: 1,
      warmupSteps: 0,
      totalSteps: 4,
    });
    expect(toZero.learningRateAt(2)).toBeCloseTo(0.5, 12);
    expect(toZero.learningRateAt(4)).toBeCloseTo(0, 12);
  });
});

describe('schedule validation', () => {
  const cases: Array<[string, LearningRateScheduleOptions, string]> = [
    [
      'learningRate',
      { kind: 'constant', learningRate: 0, warmupSteps: 0 },
      'invalid learningRate: 0; expected a finite number in (0, Infinity)',
    ],
    [
      'warmupSteps',
      { kind: 'constant', learningRate: 1, warmupSteps: 1.5 },
      'invalid warmupSteps: 1.5; expected an integer in [0, ',
    ],
    [
      'totalSteps',
      { kind: 'cosine', learningRate: 1, warmupSteps: 10, totalSteps: 10 },
      'invalid totalSteps: 10; expected an integer in [11, ',
    ],
    [
      'minLearningRate',
      { kind: 'cosine', learningRate: 1, warmupSteps: 0, totalSteps: 5, minLearningRate: 2 },
      'invalid minLearningRate: 2; expected at most the peak learningRate 1',
    ],
  ];

  it.each(cases)('rejects invalid %s', (_option, options, message) => {
    expect(() => createLearningRateSchedule(options)).toThrow(message);
  });

  it('rejects an unknown kind', () => {
    const options = { kind: 'linear', learningRate: 1, warmupSteps: 0 };
    expect(() =>
      createLearningRateSchedule(options as unknown as LearningRateScheduleOptions),
    ).toThrow("invalid schedule kind: linear; expected 'constant' or 'cosine'");
  });

  it('rejects step 0', () => {
    const schedule = createLearningRateSchedule({
      kind: 'constant',
      learningRate: 1,
      warmupSteps: 0,
    });
    expect(() => schedule.learningRateAt(0)).toThrow('invalid step: 0');
  });

  it('raises OptimizerError with code', () => {
    const create = () =>
      createLearningRateSchedule({ kind: 'constant', learningRate: -1, warmupSteps: 0 });
    expect(create).toThrow(OptimizerError);
    expect(create).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
