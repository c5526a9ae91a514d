import { ValidationFailedException } from '../common/errors/request.exceptions';
import { parseStartTrainingRequest } from './training-parameters';

function problemsOf(body: unknown): { field: string; value?: unknown; problem: string }[] {
  try {
    parseStartTrainingRequest(body);
  } catch (error: unknown) {
    if (error instanceof ValidationFailedException) {
      return error.details;
    }
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('parseStartTrainingRequest', () => {
  it('accepts an absent body with defaults', () => {
    expect(parseStartTrainingRequest(undefined)).toEqual({
      parameters: { model: {}, trainer: {} },
      force: false,
    });
  });

  it('keeps valid overrides', () => {
    const model = {
      dim: 16,
      heads: 2,
      readout: 'last',
      dropout: 0,
      scaleItemEmbeddings: false,
      maskHistoryItems: false,
    };
    const request = parseStartTrainingRequest({
      model,
      trainer: { epochs: 3, learningRate: 0.01, lengthBuckets: false, historyWindows: 'all' },
      topK: 20,
      validationUsers: 50,
      force: true,
    });

    expect(request.force).toBe(true);
    expect(request.parameters).toEqual({
      model,
      trainer: { epochs: 3, learningRate: 0.01, lengthBuckets: false, historyWindows: 'all' },
      topK: 20,
      validationUsers: 50,
    });
  });

  it('names field, value and range', () => {
    const problems = problemsOf({ model: { dim: 0 } });

    expect(problems).toEqual([
      { field: 'model.dim', value: 0, problem: 'must be an integer from 1 to 1024' },
    ]);
  });

  it('reports every bad field', () => {
    const problems = problemsOf({
      model: { dropout: 1, readout: 'mean', maskHistoryItems: 'yes' },
      trainer: { learningRate: 0, epochs: 2.5, seed: '7', historyWindows: 'newest' },
      force: 'yes',
    });

    expect(problems.map((p) => p.field).sort()).toEqual([
      'force',
      'model.dropout',
      'model.maskHistoryItems',
      'model.readout',
      'trainer.epochs',
      'trainer.historyWindows',
      'trainer.learningRate',
      'trainer.seed',
    ]);
    const byField = new Map(problems.map((p) => [p.field, p]));
    expect(byField.get('model.dropout')?.problem).toBe(
      'must be a number of at least 0 and less than 1',
    );
    expect(byField.get('model.readout')?.problem).toBe('must be one of qformer, last');
    expect(byField.get('trainer.historyWindows')?.problem).toBe('must be one of last, all');
    expect(byField.get('trainer.learningRate')?.problem).toBe(
      'must be a number greater than 0 and at most 1',
    );
    expect(byField.get('force')?.problem).toBe('must be true or false, not a string');
    expect(byField.get('model.maskHistoryItems')?.problem).toBe(
      'must be true or false, not a string',
    );
  });

  it('rejects unknown fields', () => {
    const problems = problemsOf({ model: { width: 8 }, epochs: 3 });

    expect(problems.map((p) => p.field).sort()).toEqual(['epochs', 'model.width']);
    expect(problems[0].problem).toMatch(/^is not an allowed field; allowed fields are /);
  });

  it('lists the sections among top-level fields', () => {
    const problem = problemsOf({ modell: {} })[0].problem;

    expect(problem).toBe(
      'is not an allowed field; allowed fields are model, trainer, topK, validationUsers, force',
    );
  });

  it('rejects eventTypeCount, which the data sets', () => {
    expect(problemsOf({ model: { eventTypeCount: 3 } })[0].field).toBe('model.eventTypeCount');
  });

  it('rejects heads that do not divide dim', () => {
    expect(problemsOf({ model: { dim: 30, heads: 4 } })).toEqual([
      { field: 'model.heads', value: 4, problem: 'must divide dim 30' },
    ]);
  });

  it('rejects a body that is not an object', () => {
    expect(problemsOf([1])[0]).toEqual({
      field: 'body',
      value: [1],
      problem: 'must be a JSON object, not an array',
    });
    expect(problemsOf({ trainer: 5 })[0].field).toBe('trainer');
  });

  it('rejects non-finite numbers', () => {
    expect(problemsOf({ trainer: { maxGradNorm: Number.POSITIVE_INFINITY } })[0].field).toBe(
      'trainer.maxGradNorm',
    );
  });
});
