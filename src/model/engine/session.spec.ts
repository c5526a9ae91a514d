/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { differentiate } from './autodiff';
import { Graph } from './graph';
import * as op from './ops';
import {
  ExecutionProvider,
  GraphOptimizationLevel,
  ProviderUnavailableError,
  toOrtSessionOptions,
} from './providers';
import { EngineSession, TrainingSession } from './session';

function buildSquare(): { graph: Graph; loss: ReturnType<typeof op.reduceSum> } {
  const graph = new Graph('square');
  const x = graph.input('x', 'float32', ['batch', 2]);
  const w = graph.parameter('w', 'float32', [2, 1]);
  const loss = op.reduceMean(op.mul(op.matMul(x, w), op.matMul(x, w)));
  return { graph, loss };
}

describe('EngineSession options', () => {
  it('rejects unknown provider', async () => {
    const { graph, loss } = buildSquare();
    const options = { executionProviders: ['tpu' as ExecutionProvider] };

    await expect(EngineSession.create(graph, [loss], options)).rejects.toThrow(
      'invalid execution provider "tpu"; allowed values: cpu, cuda, webgpu',
    );
  });

  it('rejects bad thread count', async () => {
    const { graph, loss } = buildSquare();

    await expect(EngineSession.create(graph, [loss], { intraOpNumThreads: -1 })).rejects.toThrow(
      'invalid intraOpNumThreads -1; allowed values: integers >= 0',
    );
  });

  it('rejects bad optimisation level', async () => {
    const { graph, loss } = buildSquare();
    const options = { graphOptimizationLevel: 'max' as GraphOptimizationLevel };

    await expect(EngineSession.create(graph, [loss], options)).rejects.toThrow(
      'allowed values: disabled, basic, extended, all',
    );
  });

  it('rejects bad log severity', async () => {
    const { graph, loss } = buildSquare();
    const options = { logSeverityLevel: 7 as 0 };

    await expect(EngineSession.create(graph, [loss], options)).rejects.toThrow(
      'invalid logSeverityLevel 7; allowed values: 0 (verbose), 1 (info), 2 (warning)',
    );
  });

  it('rejects wrong feed type', async () => {
    const { graph, loss } = buildSquare();
    const session = await EngineSession.create(graph, [loss]);
    const feeds = { x: new Float64Array(4), w: new Float32Array(2) };

    await expect(session.run(feeds)).rejects.toThrow(
      'feed x: expected Float32Array, got Float64Array',
    );
    await session.release();
  });
});

describe('toOrtSessionOptions', () => {
  it('maps allowSpinning to the session config', () => {
    const spinning = toOrtSessionOptions({}).extra;
    const idle = toOrtSessionOptions({ allowSpinning: false }).extra;

    expect(spinning).toEqual({ session: { intra_op: { allow_spinning: '1' } } });
    expect(idle).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
  });
});

describe('EngineSession providers', () => {
  // These machines have no GPU and no CUDA files; where CUDA is installed the session must
  // work instead, so each outcome is checked.
  it.each<ExecutionProvider>(['cuda', 'webgpu'])('%s unavailable or working', async (provider) => {
    const { graph, loss } = buildSquare();
    const attempt = EngineSession.create(graph, [loss], { executionProviders: [provider] });
    const outcome = await attempt.then(
      async (session) => {
        await session.release();
        return undefined;
      },
      (error: unknown) => error,
    );
    if (outcome === undefined) {
      expect(outcome).toBeUndefined();
      return;
    }

    const message = outcome instanceof Error ? outcome.message : '';

    expect(outcome).toBeInstanceOf(ProviderUnavailableError);
    expect(message).toContain(`execution provider ${provider} is unavailable`);
    expect(message).toContain('ONNX Runtime failed with');
  });

  it('cuda error says how to install', async () => {
    const { graph, loss } = buildSquare();
    const outcome = await EngineSession.create(graph, [loss], {
      executionProviders: ['cuda'],
    }).then(
      async (session) => {
        await session.release();
        return 'installed';
      },
      (error: unknown) => String(error),
    );
    const expected =
      outcome === 'installed'
        ? 'installed'
        : expect.stringContaining('--onnxruntime-node-install=cuda12');

    expect(outcome).toEqual(expected);
    expect(outcome === 'installed' || outcome.includes('ONNXRUNTIME_NODE_INSTALL=cuda12')).toBe(
      true,
    );
  });
});

describe('TrainingSession', () => {
  it('runs without spinning', async () => {
    const { graph, loss } = buildSquare();
    const w = graph.parameters[0];
    const session = await TrainingSession.create(loss, differentiate(loss, [w]), {
      allowSpinning: false,
      intraOpNumThreads: 2,
    });
    const parameters = [{ name: 'w', shape: [2, 1], data: Float32Array.of(1, 2) }];

    const result = await session.step({ x: Float32Array.of(1, 1) }, parameters);
    await session.release();

    expect(result.loss).toBeCloseTo(9, 5);
  });

  it('steps with a dynamic batch', async () => {
    const { graph, loss } = buildSquare();
    const w = graph.parameters[0];
    const session = await TrainingSession.create(loss, differentiate(loss, [w]), {
      intraOpNumThreads: 1,
    });
    const parameters = [{ name: 'w', shape: [2, 1], data: Float32Array.of(1, 2) }];

    const result = await session.step(
      { x: { data: Float32Array.of(1, 0, 0, 1, 1, 1), dims: [3, 2] } },
      parameters,
    );
    await session.release();
    const gradient = result.gradients.get('w');

    // Predictions are 1, 2, 3, so loss = (1 + 4 + 9) / 3 and dL/dw = 2/3 * X^T p.
    expect(result.loss).toBeCloseTo(14 / 3, 5);
    expect(gradient?.kind).toBe('dense');
    expect(Array.from(gradient?.values ?? [])).toEqual([
      expect.closeTo(8 / 3, 5),
      expect.closeTo(10 / 3, 5),
    ]);
  });
});
