import { InferenceSession, listSupportedBackends } from 'onnxruntime-node';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;
export type GraphOptimizationLevel = (typeof GRAPH_OPTIMIZATION_LEVELS)[number];

export interface EngineSessionOptions {
  /** Execution providers in priority order. Default `['cpu']`. */
  executionProviders?: readonly ExecutionProvider[];
  /** Threads for one operator; 0 lets ONNX Runtime choose. Default 0. */
  intraOpNumThreads?: number;
  /** ONNX Runtime graph optimisation level. Default `'all'`. */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** ONNX Runtime log severity: 0 verbose, 1 info, 2 warning, 3 error, 4 fatal. Default 3. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** Writes an ONNX Runtime profile (JSON) with this file prefix when set. */
  profileFilePrefix?: string;
  /**
   * Lets idle intra-op threads spin while waiting for work (ONNX Runtime's default). Turning
   * it off helps when other processes share the cores. Default true.
   */
  allowSpinning?: boolean;
}

/** Hints printed when a provider cannot be used, per provider. */
const INSTALL_HINTS: Record<ExecutionProvider, string> = {
  cpu: 'the CPU provider is bundled with onnxruntime-node; reinstall onnxruntime-node',
  cuda:
    'install the CUDA 12 libraries that the ONNX Runtime CUDA provider needs, then reinstall onnxruntime-node with ' +
    '`npm install onnxruntime-node --onnxruntime-node-install=cuda12` ' +
    '(or set ONNXRUNTIME_NODE_INSTALL=cuda12); see node_modules/onnxruntime-node/script/install.js',
  webgpu:
    'WebGPU needs a GPU adapter with a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver',
};

/** Checks option values and returns ONNX Runtime session options. */
export function toOrtSessionOptions(
  options: EngineSessionOptions,
): InferenceSession.SessionOptions {
  const providers = options.executionProviders ?? ['cpu'];
  if (providers.length === 0) {
    throw new Error(
      `executionProviders is empty; allowed values: ${EXECUTION_PROVIDERS.join(', ')}`,
    );
  }
  for (const provider of providers) {
    if (!EXECUTION_PROVIDERS.includes(provider)) {
      throw new Error(
        `invalid execution provider "${String(provider)}"; allowed values: ${EXECUTION_PROVIDERS.join(', ')}`,
      );
    }
  }
  const threads = options.intraOpNumThreads ?? 0;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new Error(
      `invalid intraOpNumThreads ${threads}; allowed values: integers >= 0 (0 = default)`,
    );
  }
  const level = options.graphOptimizationLevel ?? 'all';
  if (!GRAPH_OPTIMIZATION_LEVELS.includes(level)) {
    throw new Error(
      `invalid graphOptimizationLevel "${String(level)}"; allowed values: ${GRAPH_OPTIMIZATION_LEVELS.join(', ')}`,
    );
  }
  const severity = options.logSeverityLevel ?? 3;
  if (![0, 1, 2, 3, 4].includes(severity)) {
    throw new Error(
      `invalid logSeverityLevel ${String(severity)}; allowed values: 0 (verbose), 1 (info), ` +
        '2 (warning), 3 (error), 4 (fatal)',
    );
  }
  return {
    executionProviders: [...providers],
    intraOpNumThreads: threads,
    graphOptimizationLevel: level,
    logSeverityLevel: severity,
    extra: {
      session: { intra_op: { allow_spinning: options.allowSpinning === false ? '0' : '1' } },
    },
    enableProfiling: options.profileFilePrefix !== undefined,
    profileFilePrefix: options.profileFilePrefix,
  };
}

/** Rejects providers that this onnxruntime-node build does not list at all. */
export function checkProvidersListed(providers: readonly ExecutionProvider[]): void {
  const listed = listSupportedBackends();
  for (const provider of providers) {
    const backend = listed.find((entry) => entry.name === provider);
    if (backend === undefined) {
      throw new ProviderUnavailableError(provider, 'listSupportedBackends() does not list it');
    }
  }
}

/** Error raised when a configured execution provider cannot be used. */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';

  constructor(
    readonly provider: ExecutionProvider,
    reason: string,
  ) {
    super(
      `execution provider ${provider} is unavailable: ${reason}. To use it: ${INSTALL_HINTS[provider]}`,
    );
  }
}

/** Describes why creating a session failed for `provider`, using what the package reports. */
export function describeProviderFailure(
  provider: ExecutionProvider,
  cause: unknown,
): ProviderUnavailableError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const backend = listSupportedBackends().find((entry) => entry.name === provider);
  const bundled =
    backend?.bundled === false
      ? '; listSupportedBackends() reports it as not bundled (not installed by default)'
      : '';
  return new ProviderUnavailableError(
    provider,
    `ONNX Runtime failed with "${message.trim()}"${bundled}`,
  );
}
