import { resolveConfig } from '../../model/qformer/config';
import type { ModelVersionSummary } from '../../models/model-registry';
import { formatModelTable, validationNdcg } from './models-runner';

function version(overrides: Partial<ModelVersionSummary>): ModelVersionSummary {
  return {
    id: '6f1c2b8e-0a4d-4c1e-9a53-1b2c3d4e5f60',
    createdAt: new Date('2026-03-01T10:20:30.456Z'),
    activatedAt: null,
    status: 'registered',
    config: resolveConfig(),
    metrics: { validation: { ndcg10: 0.123456 } },
    dataCutoff: new Date('2026-02-28T00:00:00Z'),
    itemCount: 3706,
    eventTypes: ['view'],
    trainingRunId: null,
    ...overrides,
  };
}

describe('formatModelTable', () => {
  it('aligns one row per version', () => {
    const table = formatModelTable([
      version({ status: 'active' }),
      version({
        id: '00000000-0000-4000-8000-000000000001',
        metrics: {},
        dataCutoff: null,
        itemCount: 12,
      }),
    ]);

    expect(table.split('\n')).toEqual([
      'id                                    status      created              items  NDCG@10  cut-off',
      '6f1c2b8e-0a4d-4c1e-9a53-1b2c3d4e5f60  active      2026-03-01 10:20:30  3706   0.1235   2026-02-28 00:00:00',
      '00000000-0000-4000-8000-000000000001  registered  2026-03-01 10:20:30  12     n/a      n/a',
    ]);
  });

  it('explains an empty registry', () => {
    expect(formatModelTable([])).toBe('No model versions. Train one with `qrec train --from-db`.');
  });
});

describe('validationNdcg', () => {
  it.each([
    [{ validation: { ndcg10: 0.5 } }, 0.5],
    [{ validation: { ndcg10: null } }, null],
    [{ validation: 'x' }, null],
    [null, null],
    ['text', null],
  ])('reads %j as %j', (metrics, expected) => {
    expect(validationNdcg(metrics)).toBe(expected);
  });
});
