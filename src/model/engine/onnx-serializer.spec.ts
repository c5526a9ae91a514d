/** @jest-environment ./src/model/engine/testing/ort-environment.ts */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { onnx } from 'onnx-proto';

import { differentiate } from './autodiff';
import { ConstantValue, Graph } from './graph';
import { ONNX_OPSET, exportInferenceModel, serializeModel, toModelProto } from './onnx-serializer';
import * as op from './ops';
import { EngineSession } from './session';
import { Tensor } from './tensor';

/** Builds a scorer over a dynamic batch: softmax(gelu(LN(relu(x W1))) W2) and its top 2 items. */
function buildScorer(): {
  graph: Graph;
  probabilities: Tensor;
  outputs: Tensor[];
  values: Map<string, ConstantValue>;
} {
  const graph = new Graph('scorer');
  const x = graph.input('x', 'float32', ['batch', 4]);
  const w1 = graph.parameter('w1', 'float32', [4, 8]);
  const w2 = graph.parameter('w2', 'float32', [8, 5]);
  const logits = op.matMul(
    op.gelu(
      op.layerNormalization(
        op.relu(op.matMul(x, w1)),
        graph.parameter('s', 'float32', [8]),
        graph.parameter('b', 'float32', [8]),
      ),
    ),
    w2,
  );
  const probabilities = op.softmax(logits);
  const { values, indices } = op.topK(probabilities, 2);
  const parameterValues = new Map<string, ConstantValue>(
    graph.parameters.map((p) => {
      const count = (p.shape as number[]).reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: count }, (_v, i) => Math.sin(i + 1));
      return [p.name, { dtype: 'float32', shape: p.shape as number[], data }];
    }),
  );
  return { graph, probabilities, outputs: [values, indices], values: parameterValues };
}

describe('toModelProto', () => {
  it('uses the engine opset', () => {
    const { graph, outputs, values } = buildScorer();
    const model = toModelProto(graph, { outputs, parameterValues: values });

    expect(model.opsetImport[0].version).toBe(ONNX_OPSET);
  });

  it('training parameters are inputs', () => {
    const { graph, outputs } = buildScorer();
    const model = toModelProto(graph, { outputs });

    expect(model.graph?.input?.map((input) => input.name)).toEqual(['x', 'w1', 'w2', 's', 'b']);
    expect(model.graph?.initializer ?? []).toHaveLength(0);
  });

  it('inference parameters are initializers', () => {
    const { graph, outputs, values } = buildScorer();
    const model = toModelProto(graph, { outputs, parameterValues: values });

    expect(model.graph?.input?.map((input) => input.name)).toEqual(['x']);
    expect(model.graph?.initializer?.map((tensor) => tensor.name)).toEqual(['w1', 'w2', 's', 'b']);
  });

  it('named dims become dim_param', () => {
    const { graph, outputs, values } = buildScorer();
    const model = toModelProto(graph, { outputs, parameterValues: values });
    const dims = model.graph?.input?.[0].type?.tensorType?.shape?.dim;

    expect(dims?.[0].dimParam).toBe('batch');
    expect(dims?.[1].dimValue).toBe(4);
  });

  it('round-trips through protobuf', () => {
    const { graph, outputs, values } = buildScorer();
    const decoded = onnx.ModelProto.decode(
      serializeModel(graph, { outputs, parameterValues: values }),
    );

    expect(decoded.graph?.node?.length).toBeGreaterThan(5);
  });
});

describe('exported inference model', () => {
  it('exportInferenceModel embeds parameters', () => {
    const { graph, outputs, values } = buildScorer();
    const parameters = [...values].map(([name, value]) => ({
      name,
      shape: value.shape,
      data: value.data as Float32Array,
    }));
    const decoded = onnx.ModelProto.decode(exportInferenceModel(graph, outputs, parameters));

    expect(decoded.graph?.input?.map((input) => input.name)).toEqual(['x']);
    expect(decoded.graph?.initializer?.map((tensor) => tensor.name)).toEqual([
      'w1',
      'w2',
      's',
      'b',
    ]);
  });

  it('runs at two batch sizes', async () => {
    const { graph, outputs, values } = buildScorer();
    const session = await EngineSession.create(graph, outputs, {}, values);

    const small = await session.run({ x: { data: new Float32Array(8).fill(0.5), dims: [2, 4] } });
    const large = await session.run({ x: { data: new Float32Array(20).fill(0.5), dims: [5, 4] } });
    await session.release();

    expect(small.get(outputs[1].name)?.dims).toEqual([2, 2]);
    expect(large.get(outputs[1].name)?.dims).toEqual([5, 2]);
  });

  // ONNX Runtime writes warnings from native code to stderr, so the model is loaded in a
  // child process at log severity 2 (warning) and its stderr must stay empty.
  it.each(['inference', 'training'])('%s model loads without warnings', (kind) => {
    const { graph, probabilities, outputs, values } = buildScorer();
    let bytes: Uint8Array;
    if (kind === 'inference') {
      bytes = serializeModel(graph, { outputs, parameterValues: values });
    } else {
      const loss = op.reduceSum(op.mul(probabilities, probabilities));
      const gradients = differentiate(loss, graph.parameters);
      const gradientOutputs = [...gradients.values()].map((entry) => entry.gradient);
      bytes = serializeModel(graph, { outputs: [loss, ...gradientOutputs] });
    }
    const directory = mkdtempSync(join(tmpdir(), 'engine-'));
    const path = join(directory, 'model.onnx');
    writeFileSync(path, bytes);
    const script =
      "require('onnxruntime-node').InferenceSession.create(process.argv[1], { logSeverityLevel: 2 })" +
      ".then(() => process.stdout.write('loaded'), (e) => { process.stderr.write(String(e)); process.exit(1); });";

    const child = spawnSync(process.execPath, ['-e', script, path], {
      cwd: process.cwd(),
      encoding: 'utf8',
    });

    expect(child.stdout).toBe('loaded');
    expect(child.stderr).toBe('');
  });
});
