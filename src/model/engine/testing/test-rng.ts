import { Rng, createRng } from '../random';

/** Seeded values for tests and benchmarks, drawn from the engine's `createRng`. */
export class TestRng {
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = createRng(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.rng.next();
  }

  /** Standard normal. */
  normal(): number {
    return this.rng.normal();
  }

  /** Returns `length` values drawn from `sample`, standard normals by default. */
  array(length: number, sample: () => number = () => this.rng.normal()): number[] {
    return Array.from({ length }, sample);
  }
}
