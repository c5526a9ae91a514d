/**
 * Training-step benchmark for the engine: a pre-LayerNorm transformer block at batch 128,
 * sequence 200, width 64, 4 heads and FFN width 256 with a causal mask, compared with a plain
 * large MatMul on the same provider and thread count.
 *
 * The two workloads run alternately, so load from other processes affects both alike. Rates
 * use the median run time; the fastest run is printed beside it.
 *
 * Usage: npm run bench:engine -- [--threads N] [--steps N] [--provider cpu|cuda|webgpu]
 *   [--profile FILE_PREFIX]   writes an ONNX Runtime profile (JSON) of the transformer steps
 *   [--no-spinning]           stops idle intra-op threads from spinning (see allowSpinning)
 */
import { availableParallelism } from 'node:os';

import { differentiate } from '../src/model/engine/autodiff';
import { Graph, GraphNode } from '../src/model/engine/graph';
import * as op from '../src/model/engine/ops';
import { EngineSessionOptions, ExecutionProvider } from '../src/model/engine/providers';
import { EngineSession, TrainingSession } from '../src/model/engine/session';
import { ParameterSet, transformerBlock } from '../src/model/engine/testing/models';
import { TestRng } from '../src/model/engine/testing/test-rng';

const SHAPE = { batch: 128, sequence: 200, width: 64, heads: 4, ffnWidth: 256 };
const MATMUL_SIZE = 2048;

interface Options {
  threads: number;
  steps: number;
  provider: ExecutionProvider;
  /** File prefix for an ONNX Runtime profile of the transformer step, when set. */
  profile?: string;
  allowSpinning: boolean;
}

interface Workload {
  run: () => Promise<unknown>;
  flops: number;
  release: () => Promise<void>;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string): string | undefined => {
    const index = argv.indexOf(flag);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  return {
    threads: Number(value('--threads') ?? availableParallelism()),
    steps: Number(value('--steps') ?? 7),
    provider: (value('--provider') ?? 'cpu') as ExecutionProvider,
    profile: value('--profile'),
    allowSpinning: !argv.includes('--no-spinning'),
  };
}

/** Sums 2 * m * k * n over the MatMul nodes, with m * n taken over the whole batched output. */
function matMulFlops(nodes: readonly GraphNode[]): number {
  let flops = 0;
  for (const node of nodes.filter((entry) => entry.opType === 'MatMul')) {
    const a = node.inputs[0]?.shape as number[];
    const output = node.outputs[0].shape as number[];
    const outputCount = output.reduce((product, dim) => product * dim, 1);
    flops += 2 * outputCount * a[a.length - 1];
  }
  return flops;
}

async function createTransformerStep(options: Options): Promise<Workload> {
  const rng = new TestRng(1);
  const graph = new Graph('bench_block');
  const parameters = new ParameterSet(graph, 'float32', () => rng.normal());
  const { batch, sequence, width } = SHAPE;
  const x = graph.input('x', 'float32', [batch, sequence, width]);
  const target = graph.input('target', 'float32', [batch, sequence, width]);
  const y = transformerBlock(x, SHAPE, parameters);
  const loss = op.reduceMean(op.mul(y, target));
  const forwardFlops = matMulFlops(graph.nodes);

  const session = await TrainingSession.create(loss, differentiate(loss, parameters.tensors), {
    ...sessionOptions(options),
    profileFilePrefix: options.profile,
  });
  const count = batch * sequence * width;
  const feeds = {
    x: Float32Array.from(rng.array(count)),
    target: Float32Array.from(rng.array(count)),
  };
  return {
    run: () => session.step(feeds, parameters.values),
    // Each forward MatMul has two backward MatMuls of the same size (dA and dB).
    flops: 3 * forwardFlops,
    release: async () => {
      if (options.profile !== undefined) {
        session.endProfiling();
      }
      await session.release();
    },
  };
}

async function createMatMul(options: Options): Promise<Workload> {
  const graph = new Graph('bench_matmul');
  const a = graph.input('a', 'float32', [MATMUL_SIZE, MATMUL_SIZE]);
  const b = graph.input('b', 'float32', [MATMUL_SIZE, MATMUL_SIZE]);
  // Summing to a scalar keeps the 16 MiB product inside ONNX Runtime, so the copy of the
  // output to JavaScript does not count against the MatMul rate.
  const total = op.reduceSum(op.matMul(a, b));
  const session = await EngineSession.create(graph, [total], sessionOptions(options));
  const rng = new TestRng(2);
  const feeds = {
    a: Float32Array.from(rng.array(MATMUL_SIZE * MATMUL_SIZE)),
    b: Float32Array.from(rng.array(MATMUL_SIZE * MATMUL_SIZE)),
  };
  return {
    run: () => session.run(feeds),
    flops: 2 * MATMUL_SIZE ** 3,
    release: () => session.release(),
  };
}

function sessionOptions(options: Options): EngineSessionOptions {
  return {
    executionProviders: [options.provider],
    intraOpNumThreads: options.threads,
    allowSpinning: options.allowSpinning,
  };
}

/** Runs the workloads alternately after two warm-up rounds and returns run times in seconds. */
async function timeAlternately(
  workloads: readonly Workload[],
  rounds: number,
): Promise<number[][]> {
  const times = workloads.map((): number[] => []);
  for (let round = -2; round < rounds; round++) {
    for (const [index, workload] of workloads.entries()) {
      const start = process.hrtime.bigint();
      await workload.run();
      if (round >= 0) {
        times[index].push(Number(process.hrtime.bigint() - start) / 1e9);
      }
    }
  }
  return times;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const gflops = (flops: number, seconds: number): string => (flops / seconds / 1e9).toFixed(1);

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const spinning = options.allowSpinning ? 'on' : 'off';
  console.log(
    `engine benchmark: provider ${options.provider}, ${options.threads} intra-op threads, ` +
      `spinning ${spinning}, ${options.steps} timed runs each`,
  );
  console.log(
    `transformer block: batch ${SHAPE.batch}, sequence ${SHAPE.sequence}, width ${SHAPE.width}, ` +
      `${SHAPE.heads} heads, FFN ${SHAPE.ffnWidth}, causal mask, float32, pre-LayerNorm`,
  );
  const step = await createTransformerStep(options);
  const matMul = await createMatMul(options);
  const [stepTimes, matMulTimes] = await timeAlternately([step, matMul], options.steps);
  await step.release();
  await matMul.release();

  const stepSeconds = median(stepTimes);
  const matMulSeconds = median(matMulTimes);
  const ratio = step.flops / stepSeconds / (matMul.flops / matMulSeconds);
  console.log(
    'FLOP counting rule: 2*m*k*n per MatMul product; a training step counts each forward MatMul ' +
      'once for the forward pass and twice for the backward pass (dA and dB); other operators are not counted',
  );
  console.log(`step MatMul FLOPs:   ${(step.flops / 1e9).toFixed(2)} GFLOP`);
  console.log(
    `steps per second:    ${(1 / stepSeconds).toFixed(2)} (median ${(stepSeconds * 1e3).toFixed(0)} ms, fastest ${(Math.min(...stepTimes) * 1e3).toFixed(0)} ms)`,
  );
  console.log(
    `step FLOP rate:      ${gflops(step.flops, stepSeconds)} GFLOP/s (fastest run ${gflops(step.flops, Math.min(...stepTimes))})`,
  );
  console.log(
    `plain MatMul rate:   ${gflops(matMul.flops, matMulSeconds)} GFLOP/s (fastest run ${gflops(matMul.flops, Math.min(...matMulTimes))}; ` +
      `${MATMUL_SIZE}x${MATMUL_SIZE} @ ${MATMUL_SIZE}x${MATMUL_SIZE})`,
  );
  console.log(`ratio step / MatMul: ${(100 * ratio).toFixed(1)} % (target >= 35 %)`);
  console.log(`peak RSS:            ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
