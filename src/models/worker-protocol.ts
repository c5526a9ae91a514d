import type { InteractionSequence } from '../model/qformer/batch';
import type { RecommendOptions, Recommendations } from '../model/qformer/recommender';

/** Messages from the main thread to an inference worker; `id` pairs each with its reply. */
export type WorkerRequest =
  | {
      type: 'recommend';
      id: number;
      histories: InteractionSequence[];
      options: RecommendOptions;
    }
  | { type: 'itemEmbeddings'; id: number }
  | { type: 'release'; id: number };

/** Messages from an inference worker to the main thread. */
export type WorkerReply =
  | { type: 'ready'; interestCount: number; windowLengths: number[] }
  | { type: 'failed'; message: string }
  | { type: 'recommended'; id: number; result: Recommendations }
  | { type: 'itemEmbeddings'; id: number; table: Float32Array | null }
  | { type: 'released'; id: number }
  | { type: 'error'; id: number; message: string };
