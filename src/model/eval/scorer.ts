/**
 * Scores every item for a batch of users. `histories[b]` contains user b's item indices in time
 * order (1..N, no padding). The result is row-major `[B, N + 1]`: the score of item i for
 * user b is at `b * (N + 1) + i`, and column 0 (padding) is ignored. Higher scores rank
 * first. Models and baselines implement this same signature.
 */
export type Scorer = (histories: Int32Array[]) => Promise<Float32Array>;
