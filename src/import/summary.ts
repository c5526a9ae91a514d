import type { ImportSummary } from './importer';
import type { Rejection } from './types';

/** Rejections printed under the summary line. */
const PRINTED_REJECTIONS = 5;

export function formatRejection(rejection: Rejection): string {
  return `${rejection.file} line ${rejection.line}: ${rejection.reason}`;
}

/**
 * Formats the summary for people: one line of counts, then the first rejected lines if any.
 * `stopped` marks a strict import that ended at a bad line.
 */
export function formatSummary(input: string, summary: ImportSummary, stopped = false): string {
  const status = stopped ? 'Stopped import of' : 'Imported';
  const lines = [
    `${status} ${input}: ${summary.rowsRead} rows read, ${summary.inserted} inserted, ` +
      `${summary.duplicates} skipped as duplicates, ${summary.rejected} rejected; ` +
      `${summary.usersCreated} users and ${summary.itemsCreated} items created; ` +
      `${summary.elapsedSeconds.toFixed(1)} s, ${Math.round(summary.rowsPerSecond)} rows/s`,
  ];
  if (summary.rejected > 0) {
    lines.push('First rejected lines:');
    for (const rejection of summary.rejections.slice(0, PRINTED_REJECTIONS)) {
      lines.push(`  ${formatRejection(rejection)}`);
    }
  }
  return lines.join('\n');
}
