import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Text encodings of the supported input files. MovieLens metadata files are ISO-8859-1. */
export type FileEncoding = 'utf8' | 'latin1';

export interface NumberedLine {
  /** 1-based line number in the file. */
  lineNumber: number;
  text: string;
}

/**
 * Streams a text file line by line, without the line terminator. Accepts `\n` and `\r\n`
 * endings and a last line without a newline. Node's `latin1` decoder is ISO-8859-1.
 */
export async function* readLines(
  path: string,
  encoding: FileEncoding = 'utf8',
): AsyncGenerator<NumberedLine> {
  const input = createReadStream(path, { encoding });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const text of lines) {
      lineNumber += 1;
      yield { lineNumber, text };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}
