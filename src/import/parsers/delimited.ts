import { LineParseError } from '../types';

/**
 * Splits one CSV line into fields (RFC 4180 quoting: a field in double quotes may contain
 * the delimiter, and `""` inside it is one quote). A quoted field cannot span lines.
 */
export function splitDelimitedLine(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let position = 0;

  for (;;) {
    if (line[position] === '"') {
      const { text, end } = readQuotedField(line, position);
      fields.push(text);
      position = end;
    } else {
      const next = line.indexOf(delimiter, position);
      const end = next < 0 ? line.length : next;
      fields.push(line.slice(position, end));
      position = end;
    }

    if (position >= line.length) {
      return fields;
    }
    if (!line.startsWith(delimiter, position)) {
      throw new LineParseError(
        `unexpected character after a closing quote at column ${position + 1}`,
      );
    }
    position += delimiter.length;
    if (position === line.length) {
      fields.push('');
      return fields;
    }
  }
}

function readQuotedField(line: string, start: number): { text: string; end: number } {
  let text = '';
  let position = start + 1;
  for (;;) {
    const quote = line.indexOf('"', position);
    if (quote < 0) {
      throw new LineParseError(`quoted field starting at column ${start + 1} is not closed`);
    }
    text += line.slice(position, quote);
    if (line[quote + 1] === '"') {
      text += '"';
      position = quote + 2;
    } else {
      return { text, end: quote + 1 };
    }
  }
}
