/** Messages between the API process and its training worker process (over the fork IPC channel). */

/** Sent by the API process once the worker has started. */
export interface StartRunMessage {
  type: 'start';
  runId: string;
  databaseUrl: string;
  /** ONNX Runtime intra-op threads for training and evaluation. */
  threads: number;
  /** Scheduling niceness the worker sets for itself, so serving keeps the CPU it needs. */
  niceness: number;
  promotionTolerance: number;
  /** Milliseconds between heartbeats and cancel-flag reads. */
  heartbeatIntervalMs: number;
  logLevel: string;
}

/**
 * Sent by the API process when a cancel request for the run reaches it, so the worker stops
 * without waiting for its next read of the cancel flag.
 */
export interface CancelRunMessage {
  type: 'cancel';
  runId: string;
}

/** Sent by the worker when the run has ended, just before it exits. */
export interface RunEndedMessage {
  type: 'ended';
  runId: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  modelVersionId: string | null;
  error: string | null;
}

export function isStartRunMessage(message: unknown): message is StartRunMessage {
  return (message as Partial<StartRunMessage> | null)?.type === 'start';
}

export function isCancelRunMessage(message: unknown): message is CancelRunMessage {
  return (message as Partial<CancelRunMessage> | null)?.type === 'cancel';
}

export function isRunEndedMessage(message: unknown): message is RunEndedMessage {
  return (message as Partial<RunEndedMessage> | null)?.type === 'ended';
}
