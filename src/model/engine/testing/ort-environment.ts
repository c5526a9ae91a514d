import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { TestEnvironment } from 'jest-environment-node';

/**
 * Jest environment for specs that run onnxruntime-node. The native binding creates output
 * typed arrays in Node's main realm, while onnxruntime-common, loaded inside Jest's sandbox,
 * checks them with `instanceof` against the sandbox's constructors and rejects them. This
 * environment hands the sandbox the main realm's typed-array constructors.
 */
export default class OrtTestEnvironment extends TestEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const typedArrays = {
      Float32Array,
      Float64Array,
      BigInt64Array,
      Int32Array,
      Uint8Array,
      Int8Array,
      Uint16Array,
      Int16Array,
      Uint32Array,
      BigUint64Array,
      ArrayBuffer,
    };
    Object.assign(this.global, typedArrays);
  }
}
