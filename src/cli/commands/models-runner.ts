import type { ModelVersionSummary } from '../../models/model-registry';
import { formatMetric } from './train-runner';

// Kept apart from the commander wiring in models.ts, so specs test the formatting alone.

const COLUMNS = ['id', 'status', 'created', 'items', 'NDCG@10', 'cut-off'] as const;

/** Formats versions as a text table with one header line, newest first as given. */
export function formatModelTable(versions: readonly ModelVersionSummary[]): string {
  if (versions.length === 0) {
    return 'No model versions. Train one with `qrec train --from-db`.';
  }
  const rows = versions.map((version) => [
    version.id,
    version.status,
    formatTime(version.createdAt),
    String(version.itemCount),
    formatMetric(validationNdcg(version.metrics)),
    version.dataCutoff === null ? 'n/a' : formatTime(version.dataCutoff),
  ]);
  const widths = COLUMNS.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => row[column].length)),
  );
  const lines = [COLUMNS, ...rows].map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
  return lines.join('\n');
}

/** Returns `metrics.validation.ndcg10` when it is a number, as `trainFromDatabase` stores it. */
export function validationNdcg(metrics: unknown): number | null {
  const validation = (metrics as { validation?: { ndcg10?: unknown } } | null)?.validation;
  return typeof validation?.ndcg10 === 'number' ? validation.ndcg10 : null;
}

/** Formats a time as `YYYY-MM-DD HH:MM:SS` in UTC. */
function formatTime(time: Date): string {
  return `${time.toISOString().slice(0, 19).replace('T', ' ')}`;
}
