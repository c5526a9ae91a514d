/**
 * Entry point of an inference worker thread (see worker-recommender.ts). It loads one model
 * version from its encoded parts, with a session per window length, and serves `recommend`
 * and `itemEmbeddings` requests until a `release` request arrives. After releasing its
 * sessions it closes its port, so that the thread ends by itself. Terminating it instead can
 * abort the whole process when ONNX Runtime code runs in it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import { loadEncodedModel, type EncodedModel } from '../model/qformer/model-store';
import { QFormerRecommender, type Recommendations } from '../model/qformer/recommender';
import type { WorkerReply, WorkerRequest } from './worker-protocol';

/** Data that the main thread passes to a new worker. */
export interface InferenceWorkerData {
  encoded: EncodedModel;
  label: string;
  sessionOptions: InferenceSession.SessionOptions;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) {
    throw new Error('inference-worker runs only as a worker thread');
  }
  const data = workerData as InferenceWorkerData;
  let recommender: QFormerRecommender;
  try {
    recommender = await loadRecommender(data);
  } catch (error) {
    port.postMessage({ type: 'failed', message: describe(error) } satisfies WorkerReply);
    // With the port closed and no session left, the thread exits on its own.
    port.close();
    return;
  }
  // One request at a time, in order, so that `release` never overtakes a run.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: WorkerRequest) => {
    queue = queue
      .then(() =>
        answer(recommender, request).then(
          ({ reply, transfer }) => port.postMessage(reply, transfer),
          (error: unknown) =>
            port.postMessage({ type: 'error', id: request.id, message: describe(error) }),
        ),
      )
      .then(() => {
        if (request.type === 'release') {
          port.close();
        }
      });
  });
  port.postMessage({
    type: 'ready',
    interestCount: recommender.interestCount,
    windowLengths: recommender.windowLengths,
  } satisfies WorkerReply);
}

/** Loads the model and its window sessions; releases the full-window session on a failure. */
async function loadRecommender(data: InferenceWorkerData): Promise<QFormerRecommender> {
  const model = await loadEncodedModel(data.encoded, data.label, data.sessionOptions);
  try {
    return await QFormerRecommender.withWindows(
      model,
      data.encoded.onnx,
      undefined,
      data.sessionOptions,
    );
  } catch (error) {
    await model.session.release();
    throw error;
  }
}

async function answer(
  recommender: QFormerRecommender,
  request: WorkerRequest,
): Promise<{ reply: WorkerReply; transfer: ArrayBuffer[] }> {
  switch (request.type) {
    case 'recommend': {
      const result = await recommender.recommend(request.histories, request.options);
      return {
        reply: { type: 'recommended', id: request.id, result },
        transfer: buffersOf(result),
      };
    }
    case 'itemEmbeddings': {
      const table = await recommender.itemEmbeddings();
      const copy = table === null ? null : table.slice();
      return {
        reply: { type: 'itemEmbeddings', id: request.id, table: copy },
        transfer: copy === null ? [] : [copy.buffer],
      };
    }
    case 'release': {
      await recommender.release();
      return { reply: { type: 'released', id: request.id }, transfer: [] };
    }
  }
}

/** Returns the distinct buffers behind a result's arrays, for transfer to the main thread. */
function buffersOf(result: Recommendations): ArrayBuffer[] {
  const arrays = [
    result.items,
    result.scores,
    result.interests,
    result.attention,
    result.allScores,
  ];
  const buffers = new Set<ArrayBuffer>();
  for (const array of arrays) {
    if (array !== undefined && array.buffer instanceof ArrayBuffer) {
      buffers.add(array.buffer);
    }
  }
  return [...buffers];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

void main();
