/**
 * FLOP rate of Q-Former training on ML-1M against a plain MatMul, measured in one process.
 *
 *   npx ts-node --transpile-only scripts/bench-qformer-flops.ts [data folder]
 *
 * Environment: BATCH (sequences per step, default the trainer's ML-1M setting 32), STEPS
 * (timed training steps, default 60), THREADS (ONNX Runtime intra-op threads, default 1),
 * CONFIG (JSON overrides of the model configuration, for example '{"queryCount":1}').
 *
 * The steps are real training steps on ML-1M batches planned as the trainer plans them
 * (length buckets, random order). FLOPs: 2*m*k*n for every MatMul node of the training graph,
 * with each batch's packed target count for the dynamic dimension. The graph contains the
 * forward and the backward pass, so the MatMul count is exact rather than forward x 3 as in
 * scripts/bench-engine.ts. Other operators are not counted. A plain 2048^3 MatMul (as in scripts/bench-engine.ts) runs after every fifth step, so that
 * load from other processes affects both alike.
 */
import { GraphNode, Graph } from '../src/model/engine/graph';
import * as op from '../src/model/engine/ops';
import { EngineSession } from '../src/model/engine/session';
import { createRng, permutation } from '../src/model/engine/random';
import { loadDataFolder } from '../src/model/data/data-folder';
import {
  InteractionSequence,
  NegativeSampler,
  TrainingBatchBuilder,
} from '../src/model/qformer/batch';
import { QFormerConfig, resolveConfig } from '../src/model/qformer/config';
import { initializeParameters } from '../src/model/qformer/parameters';
import { buildTrainingGraph, TARGETS } from '../src/model/qformer/training-graph';
import { parameterSpecsOf, windowBuckets, windowOf } from '../src/model/qformer/trainer';
import { QFormerTrainingStep } from '../src/model/qformer/training-step';

interface TimedMatMul {
  label: string;
  flops: number;
  run: () => Promise<unknown>;
  release: () => Promise<void>;
  seconds: number;
}

/**
 * MatMul FLOPs of a training graph (its forward and backward nodes, as built), as a function
 * of the packed target count. Symbolic dimensions are products such as `targets*4`.
 */
function matMulFlops(nodes: readonly GraphNode[]): (targets: number) => number {
  const products = nodes
    .filter((node) => node.opType === 'MatMul')
    .map((node) => ({ a: node.inputs[0]?.shape ?? [], output: node.outputs[0].shape }));
  return (targets) => {
    const size = (dim: number | string): number =>
      typeof dim === 'number'
        ? dim
        : dim
            .split('*')
            .reduce((product, term) => product * (term === TARGETS ? targets : Number(term)), 1);
    let flops = 0;
    for (const { a, output } of products) {
      const outputCount = output.reduce((product: number, dim) => product * size(dim), 1);
      flops += 2 * outputCount * size(a[a.length - 1]);
    }
    return flops;
  };
}

async function plainMatMul(label: string, m: number, k: number, n: number, threads: number) {
  const graph = new Graph(`bench_${label}`);
  const a = graph.input('a', 'float32', [m, k]);
  const b = graph.input('b', 'float32', [k, n]);
  const session = await EngineSession.create(graph, [op.reduceSum(op.matMul(a, b))], {
    intraOpNumThreads: threads,
  });
  const rng = createRng(3);
  const feeds = {
    a: Float32Array.from({ length: m * k }, () => rng.next() - 0.5),
    b: Float32Array.from({ length: k * n }, () => rng.next() - 0.5),
  };
  const timed: TimedMatMul = {
    label: `${m}x${k} @ ${k}x${n}`,
    flops: 2 * m * k * n,
    run: () => session.run(feeds),
    release: () => session.release(),
    seconds: 0,
  };
  return timed;
}

async function main(folder: string): Promise<void> {
  const batchSize = Number(process.env.BATCH ?? 32);
  const steps = Number(process.env.STEPS ?? 60);
  const threads = Number(process.env.THREADS ?? 1);
  const config = resolveConfig(JSON.parse(process.env.CONFIG ?? '{}') as Partial<QFormerConfig>);
  const data = await loadDataFolder(folder, 'sequential');
  const itemCount = data.vocabulary.size;
  const sequences: InteractionSequence[] = data.train
    .sequences()
    .filter((items) => items.length >= 2)
    .map((items) => ({ items }));

  const windowLengths = windowBuckets(config.maxLength, true);
  const flopsOf = new Map<number, (targets: number) => number>();
  for (const windowLength of windowLengths) {
    const graph = buildTrainingGraph(config, itemCount, { batchSize, windowLength });
    flopsOf.set(windowLength, matMulFlops(graph.graph.nodes));
  }
  const parameters = initializeParameters(parameterSpecsOf(config, itemCount), 1);
  const step = await QFormerTrainingStep.create(config, itemCount, parameters, {
    batchSize,
    windowLengths,
    optimizer: { learningRate: 1e-3 },
    sessionOptions: { intraOpNumThreads: threads },
  });
  const builder = new TrainingBatchBuilder(
    config,
    itemCount,
    batchSize,
    new NegativeSampler(data.train.itemCounts(itemCount)),
  );
  const matMuls = [await plainMatMul('square', 2048, 2048, 2048, threads)];

  const rng = createRng(1);
  const batches = planEpoch(sequences, windowLengths, batchSize, rng);
  const epochFlops = batches.reduce(
    (sum, batch) => sum + flopsOf.get(batch.windowLength)!(targetCount(batch, batch.windowLength)),
    0,
  );
  let stepFlops = 0;
  let stepSeconds = 0;
  for (let index = -3; index < steps; index += 1) {
    const planned = batches[(index + 3) % batches.length];
    const batch = builder.build(planned.sequences, rng, planned.windowLength);
    const started = performance.now();
    await step.run(batch);
    const seconds = (performance.now() - started) / 1000;
    if (index >= 0) {
      stepFlops += flopsOf.get(planned.windowLength)!(batch.targetCount);
      stepSeconds += seconds;
    }
    if (index % 5 === 0) {
      for (const matMul of matMuls) {
        const matMulStarted = performance.now();
        await matMul.run();
        matMul.seconds += index >= 0 ? (performance.now() - matMulStarted) / 1000 : 0;
      }
    }
  }
  const matMulRuns = Math.floor((steps - 1) / 5) + 1;
  const rate = stepFlops / stepSeconds / 1e9;
  console.log(
    `config ${JSON.stringify({ dim: config.dim, queries: config.queryCount, readout: config.readout })}, ` +
      `batch ${batchSize}, ${threads} intra-op thread(s), ${steps} timed steps`,
  );
  console.log(
    `epoch: ${batches.length} steps, ${(epochFlops / 1e12).toFixed(2)} TFLOP of MatMul ` +
      `(${(epochFlops / batches.length / 1e9).toFixed(2)} GFLOP per step on average)`,
  );
  console.log(
    `training steps: ${(stepFlops / 1e9).toFixed(1)} GFLOP in ${stepSeconds.toFixed(1)} s, ` +
      `${rate.toFixed(2)} GFLOP/s, ${((stepSeconds / steps) * 1000).toFixed(0)} ms per step`,
  );
  for (const matMul of matMuls) {
    const matMulRate = (matMul.flops * matMulRuns) / matMul.seconds / 1e9;
    console.log(
      `plain MatMul ${matMul.label}: ${matMulRate.toFixed(2)} GFLOP/s; training reaches ` +
        `${((100 * rate) / matMulRate).toFixed(1)} % of it`,
    );
    await matMul.release();
  }
  await step.release();
}

interface PlannedBatch {
  windowLength: number;
  sequences: InteractionSequence[];
}

/** Plans one epoch's batches as the trainer does: grouped by window length, in random order. */
function planEpoch(
  sequences: InteractionSequence[],
  windowLengths: readonly number[],
  batchSize: number,
  rng: ReturnType<typeof createRng>,
): PlannedBatch[] {
  const open = new Map<number, InteractionSequence[]>(windowLengths.map((length) => [length, []]));
  const batches: PlannedBatch[] = [];
  for (const position of permutation(rng, sequences.length)) {
    const windowLength = windowOf(sequences[position], windowLengths);
    const members = open.get(windowLength)!;
    members.push(sequences[position]);
    if (members.length === batchSize) {
      batches.push({ windowLength, sequences: members.splice(0) });
    }
  }
  open.forEach((members, windowLength) => {
    if (members.length > 0) {
      batches.push({ windowLength, sequences: members });
    }
  });
  return Array.from(permutation(rng, batches.length), (index) => batches[index]);
}

/** Targets of a planned batch: each sequence's inputs that fit the window. */
function targetCount(batch: PlannedBatch, windowLength: number): number {
  return batch.sequences.reduce(
    (sum, sequence) => sum + Math.min(sequence.items.length - 1, windowLength),
    0,
  );
}

main(process.argv[2] ?? '../shared/datasets/ml-1m').catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
