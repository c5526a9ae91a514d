import type { EpochSummary } from '../model/qformer/trainer';
import { ProgressTracker } from './progress-tracker';

function summary(epoch: number, overrides: Partial<EpochSummary> = {}): EpochSummary {
  return {
    epoch,
    loss: 2.5,
    validationNdcg10: 0.4,
    validationHitRate10: 0.6,
    sequencesPerSecond: 120,
    trainSeconds: 1,
    elapsedSeconds: epoch * 1.2,
    etaSeconds: 30,
    best: true,
    ...overrides,
  };
}

describe('ProgressTracker', () => {
  it('starts in the loading phase', () => {
    const progress = new ProgressTracker(10, undefined).snapshot();

    expect(progress.phase).toBe('loading');
    expect(progress.maxEpochs).toBe(10);
    expect(progress.epochs).toEqual([]);
  });

  it('tracks steps of the current epoch', async () => {
    const tracker = new ProgressTracker(10, undefined);

    tracker.onStep({ epoch: 1, step: 1, stepsPerEpoch: 4, loss: 3 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    tracker.onStep({ epoch: 1, step: 2, stepsPerEpoch: 4, loss: 3 });
    const progress = tracker.snapshot();

    expect(progress.phase).toBe('training');
    expect(progress.epoch).toBe(1);
    expect(progress.step).toBe(2);
    expect(progress.stepsPerEpoch).toBe(4);
    expect(progress.stepsPerSecond).toBeGreaterThan(0);
    expect(progress.etaSeconds).toBeGreaterThan(0);
  });

  it('appends finished epochs', () => {
    const tracker = new ProgressTracker(10, undefined);

    tracker.onEpoch(summary(1));
    tracker.onEpoch(summary(2, { loss: 2 }));
    const progress = tracker.snapshot();

    expect(progress.epochs?.map((epoch) => epoch.epoch)).toEqual([1, 2]);
    expect(progress.epochs?.[1]).toEqual({
      epoch: 2,
      loss: 2,
      validationNdcg10: 0.4,
      validationHitRate10: 0.6,
      examplesPerSecond: 120,
      elapsedSeconds: 2.4,
    });
    expect(progress.examplesPerSecond).toBe(120);
    expect(progress.etaSeconds).toBe(30);
  });

  it('stores NaN metrics as null', () => {
    const tracker = new ProgressTracker(10, undefined);

    tracker.onEpoch(summary(1, { validationNdcg10: Number.NaN, validationHitRate10: Number.NaN }));
    const epoch = tracker.snapshot().epochs?.[0];

    expect(epoch?.validationNdcg10).toBeNull();
    expect(epoch?.validationHitRate10).toBeNull();
    expect(JSON.parse(JSON.stringify(tracker.snapshot())).epochs[0].validationNdcg10).toBeNull();
  });

  it('caps the estimate by maxSeconds', () => {
    const tracker = new ProgressTracker(1000, 5);

    tracker.onEpoch(summary(1, { etaSeconds: 5000 }));

    expect(tracker.snapshot().etaSeconds).toBeLessThanOrEqual(5);
  });
});
