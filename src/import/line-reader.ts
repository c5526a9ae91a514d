import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

/** Text encodings that the readers accept; MovieLens files are ISO-8859-1 (`latin1`). */
export type TextEncoding = 'utf8' | 'latin1';

export interface SourceLine {
  /** 1-based line number in the file. */
  number: number;
  text: string;
}

/** Bytes read so far across every file of one import, for the progress bar. */
export class ReadProgress {
  private completedBytes = 0;
  private current?: { bytesRead: number };

  constructor(readonly totalBytes: number) {}

  static async forFiles(files: readonly string[]): Promise<ReadProgress> {
    const sizes = await Promise.all(files.map(async (file) => (await fs.stat(file)).size));
    return new ReadProgress(sizes.reduce((sum, size) => sum + size, 0));
  }

  get bytesRead(): number {
    return this.completedBytes + (this.current?.bytesRead ?? 0);
  }

  track(stream: { bytesRead: number }): void {
    this.current = stream;
  }

  complete(stream: { bytesRead: number }): void {
    this.completedBytes += stream.bytesRead;
    this.current = undefined;
  }
}

/**
 * Yields the lines of a text file one at a time, whether or not the last line ends with a
 * newline. A Windows line ending (CRLF) and a UTF-8 byte order mark at the start are dropped.
 */
export async function* readLines(
  file: string,
  encoding: TextEncoding,
  progress?: ReadProgress,
): AsyncGenerator<SourceLine> {
  const stream = createReadStream(file, { encoding });
  progress?.track(stream);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });

  let number = 0;
  try {
    for await (const line of lines) {
      number += 1;
      const text = number === 1 && line.startsWith('\uFEFF') ? line.slice(1) : line;
      yield { number, text };
    }
  } finally {
    lines.close();
    stream.destroy();
    progress?.complete(stream);
  }
}

/** Returns the path when a file exists there, otherwise undefined. */
export async function findFile(folder: string, name: string): Promise<string | undefined> {
  const file = path.join(folder, name);
  try {
    const stats = await fs.stat(file);
    return stats.isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}
