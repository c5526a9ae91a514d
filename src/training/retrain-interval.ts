/** Shortest and longest accepted `RETRAIN_INTERVAL`. */
export const MIN_RETRAIN_INTERVAL_MINUTES = 1;
export const MAX_RETRAIN_INTERVAL_DAYS = 365;

const UNIT_MILLISECONDS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a retraining interval such as `30m`, `6h` or `1d` into milliseconds. Returns
 * undefined for any other text and for intervals shorter than one minute or longer than 365 days.
 */
export function parseRetrainInterval(text: string): number | undefined {
  const match = /^(\d{1,6})([mhd])$/.exec(text.trim());
  if (match === null) {
    return undefined;
  }
  const milliseconds = Number(match[1]) * UNIT_MILLISECONDS[match[2]];
  const tooShort = milliseconds < MIN_RETRAIN_INTERVAL_MINUTES * UNIT_MILLISECONDS.m;
  const tooLong = milliseconds > MAX_RETRAIN_INTERVAL_DAYS * UNIT_MILLISECONDS.d;
  return tooShort || tooLong ? undefined : milliseconds;
}
