import { decidePromotion } from './promotion';

const base = { force: false, tolerance: 0.005, validationUsers: 100 };

describe('decidePromotion', () => {
  it('promotes when no version is active', () => {
    const outcome = decidePromotion({ ...base, candidateNdcg10: 0.1, active: null });

    expect(outcome.decision).toBe('promoted');
    expect(outcome.reason).toBe('no-active-version');
    expect(outcome.activeNdcg10).toBeNull();
  });

  it('promotes within the tolerance', () => {
    const outcome = decidePromotion({
      ...base,
      candidateNdcg10: 0.296,
      active: { versionId: 'a', ndcg10: 0.3 },
    });

    expect(outcome.decision).toBe('promoted');
    expect(outcome.reason).toBe('metric');
  });

  it('rejects below the tolerance, recording both figures', () => {
    const outcome = decidePromotion({
      ...base,
      candidateNdcg10: 0.294,
      active: { versionId: 'a', ndcg10: 0.3 },
    });

    expect(outcome).toEqual({
      decision: 'rejected',
      reason: 'metric',
      candidateNdcg10: 0.294,
      activeNdcg10: 0.3,
      activeVersionId: 'a',
      tolerance: 0.005,
      validationUsers: 100,
    });
  });

  it('promotes a worse version when forced', () => {
    const outcome = decidePromotion({
      ...base,
      force: true,
      candidateNdcg10: 0.01,
      active: { versionId: 'a', ndcg10: 0.3 },
    });

    expect(outcome.decision).toBe('promoted');
    expect(outcome.reason).toBe('forced');
  });

  it('rejects a NaN score', () => {
    const outcome = decidePromotion({
      ...base,
      candidateNdcg10: Number.NaN,
      active: { versionId: 'a', ndcg10: 0.3 },
    });

    expect(outcome.decision).toBe('rejected');
  });
});
