/**
 * Seeded randomness for training: a xoshiro128** generator seeded with splitmix64, parameter
 * initialisers that fill typed arrays, and a Fisher–Yates shuffle.
 *
 * The same seed always yields the same sequence on every platform, because the generator uses
 * only 32-bit integer arithmetic (`Math.imul`, shifts) and the seeding uses BigInt.
 */

export type FloatArray = Float32Array | Float64Array;

export interface Rng {
  /** Returns a uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** Returns a uniform number in [0, 1) with 32 bits of resolution. */
  next(): number;
  /** Returns a uniform integer in [0, n); `n` must be an integer in [1, 2^32]. */
  nextInt(n: number): number;
  /** Returns a standard normal sample (mean 0, standard deviation 1). */
  normal(): number;
  /**
   * Derives an independent generator from this generator's seed and `label`. The result does
   * not depend on how many numbers this generator has drawn, so adding draws to one stream
   * never shifts another stream derived with `fork`.
   */
  fork(label: string): Rng;
}

const UINT64_MASK = (1n << 64n) - 1n;
const TWO_POW_32 = 4294967296;

/** Creates a generator from a seed, which must be a safe integer (negative values allowed). */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`invalid seed: ${seed}; expected a safe integer`);
  }
  return new Xoshiro128StarStar(BigInt.asUintN(64, BigInt(seed)));
}

class Xoshiro128StarStar implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined = undefined;

  constructor(private readonly key: bigint) {
    // Two splitmix64 outputs spread the 64-bit key over the 128-bit state, so nearby seeds
    // give unrelated states.
    let state = key;
    const first = splitmix64(state);
    state = first.state;
    const second = splitmix64(state);
    this.s0 = Number(first.value & 0xffffffffn) | 0;
    this.s1 = Number(first.value >> 32n) | 0;
    this.s2 = Number(second.value & 0xffffffffn) | 0;
    this.s3 = Number(second.value >> 32n) | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      // An all-zero state would output zeros forever. splitmix64 makes it practically
      // impossible, but the guard costs nothing.
      this.s0 = 1;
    }
  }

  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotateLeft(this.s3, 11);
    return result >>> 0;
  }

  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`invalid bound for nextInt: ${n}; expected an integer in [1, 2^32]`);
    }
    // Rejection sampling removes the modulo bias. Values at or above the largest multiple of n
    // below 2^32 are drawn again.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const value = this.nextUint32();
      if (value < limit) {
        return value % n;
      }
    }
  }

  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    // Box–Muller transform. 1 - next() lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  fork(label: string): Rng {
    const labelHash = fnv1a64(label);
    return new Xoshiro128StarStar(splitmix64(this.key ^ labelHash).value);
  }
}

function rotateLeft(x: number, bits: number): number {
  return (x << bits) | (x >>> (32 - bits));
}

function splitmix64(state: bigint): { state: bigint; value: bigint } {
  const next = (state + 0x9e3779b97f4a7c15n) & UINT64_MASK;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & UINT64_MASK;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & UINT64_MASK;
  return { state: next, value: z ^ (z >> 31n) };
}

/** Hashes the UTF-8 bytes of `text` with 64-bit FNV-1a. */
function fnv1a64(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & UINT64_MASK;
  }
  return hash;
}

/** Fills `out` with samples from a normal distribution with the given mean and standard deviation. */
export function fillNormal(rng: Rng, out: FloatArray, std: number, mean = 0): FloatArray {
  validateFinite('mean', mean);
  validateNonNegative('std', std);
  for (let i = 0; i < out.length; i++) {
    out[i] = mean + std * rng.normal();
  }
  return out;
}

/**
 * Fills `out` with a normal distribution truncated to [mean - 2 std, mean + 2 std]. Samples
 * outside the interval are drawn again, so the standard deviation of the result is about
 * 0.88 std.
 */
export function fillTruncatedNormal(rng: Rng, out: FloatArray, std: number, mean = 0): FloatArray {
  validateFinite('mean', mean);
  validateNonNegative('std', std);
  for (let i = 0; i < out.length; i++) {
    let sample = rng.normal();
    while (sample < -2 || sample > 2) {
      sample = rng.normal();
    }
    out[i] = mean + std * sample;
  }
  return out;
}

/** Fills `out` with uniform samples in [low, high). */
export function fillUniform(rng: Rng, out: FloatArray, low: number, high: number): FloatArray {
  validateFinite('low', low);
  validateFinite('high', high);
  if (!(low < high)) {
    throw new RangeError(`invalid uniform range: low ${low} must be less than high ${high}`);
  }
  const width = high - low;
  for (let i = 0; i < out.length; i++) {
    out[i] = low + width * rng.next();
  }
  return out;
}

/**
 * Fills `out` with the Xavier/Glorot uniform initialisation: uniform in [-a, a) with
 * a = gain * sqrt(6 / (fanIn + fanOut)). For a dense weight of shape [in, out], fanIn is `in`
 * and fanOut is `out`.
 */
export function fillXavierUniform(
  rng: Rng,
  out: FloatArray,
  fanIn: number,
  fanOut: number,
  gain = 1,
): FloatArray {
  validatePositiveInteger('fanIn', fanIn);
  validatePositiveInteger('fanOut', fanOut);
  validateNonNegative('gain', gain);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  if (bound === 0) {
    return out.fill(0);
  }
  return fillUniform(rng, out, -bound, bound);
}

/** Shuffles `indices` in place with the Fisher–Yates algorithm and returns it. */
export function shuffle<T extends Int32Array | Uint32Array | number[]>(rng: Rng, indices: T): T {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const swap = indices[i];
    indices[i] = indices[j];
    indices[j] = swap;
  }
  return indices;
}

/** Returns the integers 0 … n-1 in a seeded random order. */
export function permutation(rng: Rng, n: number): Int32Array {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new RangeError(`invalid permutation length: ${n}; expected an integer in [0, 2^31)`);
  }
  const indices = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    indices[i] = i;
  }
  return shuffle(rng, indices);
}

function validateFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) {
    throw new RangeError(`invalid ${name}: ${value}; expected a finite number`);
  }
}

function validateNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`invalid ${name}: ${value}; expected a finite number >= 0`);
  }
}

function validatePositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`invalid ${name}: ${value}; expected an integer >= 1`);
  }
}
