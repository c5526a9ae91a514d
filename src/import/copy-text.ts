/**
 * Encoding of values for PostgreSQL's `COPY … FROM STDIN` text format: columns separated by
 * tabs, rows by newlines, `\N` for NULL, and backslash escapes for backslash, tab, newline
 * and carriage return inside a value.
 */

const NEEDS_ESCAPE = /[\\\t\n\r]/;

export const COPY_NULL = '\\N';

/** Escapes one text value for the COPY text format. */
export function copyText(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) {
    return value;
  }
  return value.replace(/[\\\t\n\r]/g, (character) => {
    switch (character) {
      case '\\':
        return '\\\\';
      case '\t':
        return '\\t';
      case '\n':
        return '\\n';
      default:
        return '\\r';
    }
  });
}

/** Formats a text[] value as an array literal (`{"a","b"}`), escaped for COPY. */
export function copyTextArray(values: readonly string[]): string {
  const elements = values.map((value) => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`);
  return copyText(`{${elements.join(',')}}`);
}

/** Joins escaped column values into one COPY row, newline included. */
export function copyRow(columns: readonly string[]): string {
  return `${columns.join('\t')}\n`;
}
