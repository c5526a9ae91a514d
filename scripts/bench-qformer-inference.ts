/**
 * Times the exported Q-Former's forward pass: latency for one history and throughput for
 * batches of 64, scoring every item of the catalogue (top-K, interests and attention come
 * back too), then batches of 64 in each shorter window that serving uses for short histories.
 *
 *   npx ts-node --transpile-only scripts/bench-qformer-inference.ts [ml-1m folder]
 *
 * Histories are the first lines of `val_input.txt` in the folder (each user's last 200
 * items). The weights are freshly initialised: the forward pass costs the same whatever
 * their values. Environment: THREADS (intra-op threads, default 2), ITEMS (catalogue size
 * when no folder is given, default 3416), RUNS (timed runs per case, default 50), QUERIES
 * (queries m, default 4) and MEMBERS (ensemble members, default 1).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { exportOnnxModel } from '../src/model/qformer/export';
import { DEFAULT_QFORMER_CONFIG, QFormerConfig, resolveConfig } from '../src/model/qformer/config';
import { buildInferenceGraph } from '../src/model/qformer/inference-graph';
import { initializeParameters, ParameterSpec } from '../src/model/qformer/parameters';
import { defaultWindowLengths } from '../src/model/qformer/window-sessions';

const TOP_K = 100;

async function readHistories(folder: string | undefined, itemCount: number): Promise<number[][]> {
  if (folder === undefined) {
    return Array.from({ length: 64 }, (_, user) =>
      Array.from(
        { length: 200 },
        (_, position) => 1 + ((user * 7919 + position * 104729) % itemCount),
      ),
    );
  }
  const text = await readFile(join(folder, 'val_input.txt'), 'utf8');
  return text
    .trim()
    .split('\n')
    .slice(0, 64)
    .map((line) => line.split(' ').map(Number));
}

function feeds(histories: number[][], length: number): Record<string, Tensor> {
  const batch = histories.length;
  const items = new BigInt64Array(batch * length);
  const types = new BigInt64Array(batch * length);
  const lengths = new BigInt64Array(batch);
  histories.forEach((history, row) => {
    const window = history.slice(-length);
    const offset = row * length + (length - window.length);
    window.forEach((item, index) => {
      items[offset + index] = BigInt(item);
      types[offset + index] = 1n;
    });
    lengths[row] = BigInt(window.length);
  });
  return {
    items: new Tensor('int64', items, [batch, length]),
    event_types: new Tensor('int64', types, [batch, length]),
    lengths: new Tensor('int64', lengths, [batch]),
  };
}

async function timeRuns(
  session: InferenceSession,
  input: Record<string, Tensor>,
  runs: number,
): Promise<number[]> {
  for (let warmup = 0; warmup < 3; warmup++) {
    await session.run(input);
  }
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    await session.run(input);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

async function main(folder: string | undefined): Promise<void> {
  const threads = Number(process.env.THREADS ?? 2);
  const runs = Number(process.env.RUNS ?? 50);
  const config = resolveConfig({
    queryCount: Number(process.env.QUERIES ?? DEFAULT_QFORMER_CONFIG.queryCount),
    ensembleMembers: Number(process.env.MEMBERS ?? 1),
  });
  const itemCount =
    folder === undefined
      ? Number(process.env.ITEMS ?? 3416)
      : (await readFile(join(folder, 'sas_to_movielens_items.txt'), 'utf8')).trim().split('\n')
          .length;

  const specs = buildInferenceGraph(config, itemCount, TOP_K).parameterSpecs;
  const model = exportOnnxModel(config, itemCount, initializeParameters(specs, 1), TOP_K);
  const session = await InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
  });
  const histories = await readHistories(folder, itemCount);

  const single = await timeRuns(session, feeds(histories.slice(0, 1), config.maxLength), runs);
  const batch = await timeRuns(session, feeds(histories, config.maxLength), Math.ceil(runs / 2));
  const batchMedian = percentile(batch, 0.5);

  console.log(
    `Q-Former inference: ${itemCount} items, L=${config.maxLength}, d=${config.dim}, ` +
      `m=${config.queryCount}, ${config.ensembleMembers} member(s), top-${TOP_K}, ` +
      `cpu provider, ${threads} intra-op threads`,
  );
  console.log(
    `one history:  p50 ${percentile(single, 0.5).toFixed(2)} ms, ` +
      `p99 ${percentile(single, 0.99).toFixed(2)} ms over ${single.length} runs`,
  );
  console.log(
    `batch of 64:  p50 ${batchMedian.toFixed(2)} ms, ` +
      `${((64 * 1000) / batchMedian).toFixed(0)} histories/s over ${batch.length} runs`,
  );
  await session.release();
  await timeWindows(config, itemCount, specs, histories, threads, runs);
}

/**
 * Times batches of 64 in each default shorter window (the serving path runs a history in
 * the shortest window that fits it), with each history cut to the window's length.
 */
async function timeWindows(
  config: QFormerConfig,
  itemCount: number,
  specs: ParameterSpec[],
  histories: number[][],
  threads: number,
  runs: number,
): Promise<void> {
  const parameters = initializeParameters(specs, 1);
  for (const length of defaultWindowLengths(config.maxLength)) {
    const model = exportOnnxModel(config, itemCount, parameters, TOP_K, length);
    const session = await InferenceSession.create(model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
    });
    const batch = await timeRuns(session, feeds(histories, length), Math.ceil(runs / 2));
    const median = percentile(batch, 0.5);
    console.log(
      `batch of 64 in a window of ${length}:  p50 ${median.toFixed(2)} ms, ` +
        `${((64 * 1000) / median).toFixed(0)} histories/s over ${batch.length} runs`,
    );
    await session.release();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
