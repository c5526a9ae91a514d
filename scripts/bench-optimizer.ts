/**
 * Measures the AdamW step in JavaScript over typed arrays against the same update as an ONNX
 * Runtime graph that returns the new parameters and both moments.
 *
 * Run: npx ts-node --transpile-only scripts/bench-optimizer.ts [--threads N] [--repeats N]
 * Prints the median time of each case in milliseconds. Keep other CPU load low while it runs.
 */
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { performance } from 'node:perf_hooks';

import { AdamW, type Gradient } from '../src/model/engine/optim/adamw';
import { createRng, fillNormal, permutation } from '../src/model/engine/random';

const DENSE_SIZES = [250_000, 1_000_000, 4_000_000];
const TABLE_ROWS = 100_000;
const TABLE_WIDTH = 64;
const SPARSE_FRACTION = 0.01;

const HYPERPARAMETERS = {
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0.01,
};

interface BenchOptions {
  threads: number;
  repeats: number;
}

function parseArguments(argv: string[]): BenchOptions {
  const options: BenchOptions = { threads: 1, repeats: 10 };
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`invalid value for ${argv[i]}: ${argv[i + 1]}; expected an integer >= 1`);
    }
    if (argv[i] === '--threads') {
      options.threads = value;
    } else if (argv[i] === '--repeats') {
      options.repeats = value;
    } else {
      throw new Error(`unknown option ${argv[i]}; expected --threads or --repeats`);
    }
  }
  return options;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs `action` twice to warm up, then `repeats` times, and returns the median in ms. */
async function timeMedian(repeats: number, action: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats + 2; i++) {
    const start = performance.now();
    await action();
    if (i >= 2) {
      times.push(performance.now() - start);
    }
  }
  return median(times);
}

function randomArray(seed: string, length: number): Float32Array {
  return fillNormal(createRng(1).fork(seed), new Float32Array(length), 0.02) as Float32Array;
}

function benchDenseJs(size: number, repeats: number): Promise<number> {
  const parameter = { name: 'w', shape: [size], data: randomArray('p', size) };
  const optimizer = new AdamW([parameter], HYPERPARAMETERS);
  const grads = new Map<string, Gradient>([
    ['w', { kind: 'dense', values: randomArray('g', size) }],
  ]);
  return timeMedian(repeats, () => optimizer.step(grads));
}

function benchRowsJs(repeats: number): Promise<number> {
  const rowCount = Math.round(TABLE_ROWS * SPARSE_FRACTION);
  const table = {
    name: 'table',
    shape: [TABLE_ROWS, TABLE_WIDTH],
    data: randomArray('table', TABLE_ROWS * TABLE_WIDTH),
  };
  const optimizer = new AdamW([table], HYPERPARAMETERS);
  const rows = permutation(createRng(2), TABLE_ROWS).slice(0, rowCount);
  const grads = new Map<string, Gradient>([
    ['table', { kind: 'rows', rows, values: randomArray('rows', rowCount * TABLE_WIDTH) }],
  ]);
  return timeMedian(repeats, () => optimizer.step(grads));
}

const SCALAR_INPUTS = [
  'beta1',
  'one_minus_beta1',
  'beta2',
  'one_minus_beta2',
  'step_size',
  'inverse_sqrt_bias2',
  'epsilon',
  'decay_factor',
] as const;

function floatValueInfo(name: string, dims: number[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((dimValue) => ({ dimValue })) },
      },
    },
  };
}

function node(opType: string, inputs: string[], output: string): onnx.INodeProto {
  return { opType, input: inputs, output: [output], name: output };
}

/**
 * Builds the AdamW update as an ONNX graph (opset 17):
 * m' = b1 m + (1 - b1) g, v' = b2 v + (1 - b2) g^2,
 * p' = p * decay - step_size * m' / (sqrt(v') * inverse_sqrt_bias2 + epsilon).
 */
function buildAdamWModel(size: number): Uint8Array {
  const nodes = [
    node('Mul', ['beta1', 'm'], 'm_decayed'),
    node('Mul', ['one_minus_beta1', 'g'], 'm_new_part'),
    node('Add', ['m_decayed', 'm_new_part'], 'm_out'),
    node('Mul', ['g', 'g'], 'g_squared'),
    node('Mul', ['beta2', 'v'], 'v_decayed'),
    node('Mul', ['one_minus_beta2', 'g_squared'], 'v_new_part'),
    node('Add', ['v_decayed', 'v_new_part'], 'v_out'),
    node('Sqrt', ['v_out'], 'v_root'),
    node('Mul', ['v_root', 'inverse_sqrt_bias2'], 'v_root_corrected'),
    node('Add', ['v_root_corrected', 'epsilon'], 'denominator'),
    node('Div', ['m_out', 'denominator'], 'ratio'),
    node('Mul', ['ratio', 'step_size'], 'adam_term'),
    node('Mul', ['p', 'decay_factor'], 'p_decayed'),
    node('Sub', ['p_decayed', 'adam_term'], 'p_out'),
  ];
  const graph: onnx.IGraphProto = {
    name: 'adamw_update',
    node: nodes,
    input: [
      ...['p', 'g', 'm', 'v'].map((name) => floatValueInfo(name, [size])),
      ...SCALAR_INPUTS.map((name) => floatValueInfo(name, [])),
    ],
    output: ['p_out', 'm_out', 'v_out'].map((name) => floatValueInfo(name, [size])),
  };
  return buildModel(graph);
}

/** Builds a graph that returns one tensor of `size` floats, the cost of fetching gradients. */
function buildGradientFetchModel(size: number): Uint8Array {
  const graph: onnx.IGraphProto = {
    name: 'gradient_fetch',
    node: [node('Mul', ['g', 'scale'], 'g_out')],
    input: [floatValueInfo('g', [size]), floatValueInfo('scale', [])],
    output: [floatValueInfo('g_out', [size])],
  };
  return buildModel(graph);
}

function buildModel(graph: onnx.IGraphProto): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'qrec-bench-optimizer',
    opsetImport: [{ domain: '', version: 17 }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

function scalar(value: number): ort.Tensor {
  return new ort.Tensor('float32', Float32Array.of(value), []);
}

function adamWScalarFeeds(step: number): Record<string, ort.Tensor> {
  const { learningRate, beta1, beta2, epsilon, weightDecay } = HYPERPARAMETERS;
  return {
    beta1: scalar(beta1),
    one_minus_beta1: scalar(1 - beta1),
    beta2: scalar(beta2),
    one_minus_beta2: scalar(1 - beta2),
    step_size: scalar(learningRate / (1 - beta1 ** step)),
    inverse_sqrt_bias2: scalar(1 / Math.sqrt(1 - beta2 ** step)),
    epsilon: scalar(epsilon),
    decay_factor: scalar(1 - learningRate * weightDecay),
  };
}

async function createSession(
  model: Uint8Array,
  options: BenchOptions,
): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
}

interface OrtResult {
  milliseconds: number;
  maxDifferenceFromJs: number;
}

/** Times the in-graph update and checks its first step against the JavaScript AdamW. */
async function benchAdamWOrt(size: number, options: BenchOptions): Promise<OrtResult> {
  const session = await createSession(buildAdamWModel(size), options);
  const p = randomArray('p', size);
  const g = randomArray('g', size);
  const dims = [size];
  const feeds = {
    p: new ort.Tensor('float32', p, dims),
    g: new ort.Tensor('float32', g, dims),
    m: new ort.Tensor('float32', new Float32Array(size), dims),
    v: new ort.Tensor('float32', new Float32Array(size), dims),
    ...adamWScalarFeeds(1),
  };

  const first = await session.run(feeds);
  const reference = { name: 'w', shape: dims, data: p.slice() };
  new AdamW([reference], HYPERPARAMETERS).step(
    new Map<string, Gradient>([['w', { kind: 'dense', values: g }]]),
  );
  const maxDifferenceFromJs = maxAbsDifference(first.p_out.data as Float32Array, reference.data);

  const milliseconds = await timeMedian(options.repeats, () => session.run(feeds));
  await session.release();
  return { milliseconds, maxDifferenceFromJs };
}

async function benchGradientFetchOrt(size: number, options: BenchOptions): Promise<number> {
  const session = await createSession(buildGradientFetchModel(size), options);
  const feeds = {
    g: new ort.Tensor('float32', randomArray('g', size), [size]),
    scale: scalar(1),
  };
  const milliseconds = await timeMedian(options.repeats, () => session.run(feeds));
  await session.release();
  return milliseconds;
}

function maxAbsDifference(a: Float32Array, b: Float32Array | Float64Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i] - b[i]));
  }
  return max;
}

function formatMs(value: number): string {
  return value.toFixed(2).padStart(9);
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  console.log(
    `AdamW step, float32, median of ${options.repeats} runs after 2 warm-up runs, ` +
      `ONNX Runtime ${ort.env.versions.common} CPU with intraOpNumThreads=${options.threads}`,
  );
  console.log(
    '      params |  JS step ms | ORT fetch g ms | JS + fetch ms | ORT in-graph ms | max |ORT-JS|',
  );

  for (const size of [...DENSE_SIZES, TABLE_ROWS * TABLE_WIDTH]) {
    const jsStep = await benchDenseJs(size, options.repeats);
    const fetch = await benchGradientFetchOrt(size, options);
    const inGraph = await benchAdamWOrt(size, options);
    console.log(
      `${size.toLocaleString('en-US').padStart(12)} | ${formatMs(jsStep)}   | ${formatMs(fetch)}      |` +
        ` ${formatMs(jsStep + fetch)}     | ${formatMs(inGraph.milliseconds)}       | ` +
        inGraph.maxDifferenceFromJs.toExponential(1),
    );
  }

  const rowsStep = await benchRowsJs(options.repeats);
  const rowCount = Math.round(TABLE_ROWS * SPARSE_FRACTION);
  console.log(
    `Row-sparse JS step: ${rowCount} of ${TABLE_ROWS} rows x ${TABLE_WIDTH} ` +
      `(${(rowCount * TABLE_WIDTH).toLocaleString('en-US')} values): ${rowsStep.toFixed(3)} ms`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
