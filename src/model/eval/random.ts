/**
 * Seeded pseudo-random generator (xorshift32 with shifts 13, 17 and 5), so that sampled
 * negatives are the same on every run with the same seed. Not for cryptography.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    // Mixing spreads small seeds over all 32 bits. The state must never be 0, because
    // xorshift32 maps 0 to 0.
    this.state = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 0x6d2b79f5;
    for (let warmUp = 0; warmUp < 8; warmUp += 1) {
      this.nextUint32();
    }
  }

  /** Returns a uniform integer in [0, 2^32). */
  nextUint32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** Returns a uniform integer in [0, bound), for bound up to 2^32. */
  nextInt(bound: number): number {
    return Math.floor((this.nextUint32() / 0x1_0000_0000) * bound);
  }
}
