/**
 * Times Q-Former training steps on the first ML-1M training sequences.
 *
 *   npx ts-node --transpile-only scripts/bench-qformer-step.ts [data folder]
 *
 * Environment: BATCH (sequences per step, default 64), STEPS (default 6), THREADS (ONNX
 * Runtime intra-op threads, default 2), CONFIG (JSON overrides of the model configuration,
 * for example '{"interestSelection":"target"}'). Prints one line per step; the first steps
 * include ONNX Runtime's memory arena growth.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng } from '../src/model/engine/random';
import {
  InteractionSequence,
  NegativeSampler,
  TrainingBatchBuilder,
} from '../src/model/qformer/batch';
import { QFormerConfig, resolveConfig } from '../src/model/qformer/config';
import { initializeParameters } from '../src/model/qformer/parameters';
import { parameterSpecsOf } from '../src/model/qformer/trainer';
import { QFormerTrainingStep } from '../src/model/qformer/training-step';

async function main(folder: string): Promise<void> {
  const batchSize = Number(process.env.BATCH ?? 64);
  const steps = Number(process.env.STEPS ?? 6);
  const threads = Number(process.env.THREADS ?? 2);
  const config = resolveConfig(JSON.parse(process.env.CONFIG ?? '{}') as Partial<QFormerConfig>);

  const text = await readFile(join(folder, 'train.txt'), 'utf8');
  const sequences: InteractionSequence[] = text
    .trim()
    .split('\n')
    .map((line) => ({ items: Int32Array.from(line.split(' '), Number) }));
  const itemCount = Math.max(...sequences.map((sequence) => Math.max(...sequence.items)));
  const counts = new Int32Array(itemCount + 1);
  sequences.forEach((sequence) => sequence.items.forEach((item) => (counts[item] += 1)));

  const parameters = initializeParameters(parameterSpecsOf(config, itemCount), 1);
  const step = await QFormerTrainingStep.create(config, itemCount, parameters, {
    batchSize,
    optimizer: { learningRate: 1e-3 },
    sessionOptions: { intraOpNumThreads: threads },
  });
  const builder = new TrainingBatchBuilder(
    config,
    itemCount,
    batchSize,
    new NegativeSampler(counts),
  );
  const rng = createRng(1);
  for (let index = 0; index < steps; index += 1) {
    const batch = builder.build(sequences.slice(index * batchSize, (index + 1) * batchSize), rng);
    const started = performance.now();
    const outcome = await step.run(batch);
    const milliseconds = performance.now() - started;
    console.log(
      `step ${index}: ${batch.targetCount} targets, ${milliseconds.toFixed(0)} ms, ` +
        `loss ${outcome.loss.toFixed(4)}`,
    );
  }
  await step.release();
}

main(process.argv[2] ?? '../shared/datasets/ml-1m').catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
