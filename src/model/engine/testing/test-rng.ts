/**
 * Seeded generator for tests (mulberry32 with Box-Muller normals). It is deterministic across
 * platforms because it uses only 32-bit integer arithmetic before the final division.
 */
export class TestRng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal. */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fills `length` values from `sample`. */
  array(length: number, sample: () => number = () => this.normal()): number[] {
    return Array.from({ length }, sample);
  }
}
