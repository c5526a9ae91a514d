import { TextEncoding } from '../line-reader';
import { splitDelimitedLine } from '../parsers/delimited';
import {
  buildMappedEvent,
  ColumnMapping,
  EVENT_FIELDS,
  EventField,
  EventMappingSettings,
} from '../parsers/mapped-event';
import { EventRecord, ImportSource, LineParseError } from '../types';
import { parseFileLines } from './source-lines';

/** Fields that every row must map; the others are optional. */
const REQUIRED_FIELDS: readonly EventField[] = ['userId', 'itemId', 'occurredAt'];

export interface CsvSettings extends EventMappingSettings {
  mapping: ColumnMapping;
  delimiter: string;
  /** With a header row, columns are named; without one, `--map` gives 1-based numbers. */
  header: boolean;
  encoding: TextEncoding;
}

/** Generic CSV of events; each column is assigned to an event field by `--map`. */
export function openCsvSource(file: string, settings: CsvSettings): ImportSource {
  return {
    files: [file],
    items: () => emptyCatalog(),
    events: (progress) => {
      let columns: Map<EventField, number> | undefined = settings.header
        ? undefined
        : resolveNumberedColumns(settings.mapping);

      return parseFileLines<EventRecord>(file, settings.encoding, progress, (text) => {
        if (columns === undefined) {
          columns = resolveNamedColumns(splitHeader(text, settings.delimiter), settings.mapping);
          return [];
        }
        const fields = splitDelimitedLine(text, settings.delimiter);
        const indexes = columns;
        return [buildMappedEvent((field) => readColumn(fields, indexes.get(field)), settings)];
      });
    },
  };
}

/** Splits the header row. A bad header stops the import, because no later line can be mapped. */
function splitHeader(text: string, delimiter: string): string[] {
  try {
    return splitDelimitedLine(text, delimiter);
  } catch (error) {
    if (error instanceof LineParseError) {
      throw new Error(`Invalid CSV header: ${error.reason}`);
    }
    throw error;
  }
}

function readColumn(fields: readonly string[], index: number | undefined): string | undefined {
  return index === undefined ? undefined : fields[index];
}

/**
 * Finds the column of every field in the header row. A field that `--map` leaves out uses
 * the column of the same name when the header has one.
 */
function resolveNamedColumns(header: string[], mapping: ColumnMapping): Map<EventField, number> {
  const names = header.map((name) => name.trim());
  const columns = new Map<EventField, number>();
  for (const field of EVENT_FIELDS) {
    const column = mapping[field] ?? field;
    const index = names.indexOf(column);
    if (index >= 0) {
      columns.set(field, index);
    } else if (mapping[field] !== undefined || REQUIRED_FIELDS.includes(field)) {
      throw new Error(
        `Column ${JSON.stringify(column)} for ${field} is not in the CSV header ` +
          `(${names.join(', ')}); set it with --map ${field}=<column>`,
      );
    }
  }
  return columns;
}

function resolveNumberedColumns(mapping: ColumnMapping): Map<EventField, number> {
  const columns = new Map<EventField, number>();
  for (const field of EVENT_FIELDS) {
    const column = mapping[field];
    if (column === undefined) {
      if (REQUIRED_FIELDS.includes(field)) {
        throw new Error(`Without a header row, --map must give the column number of ${field}`);
      }
      continue;
    }
    const number = Number(column);
    if (!Number.isInteger(number) || number < 1) {
      throw new Error(
        `Invalid --map ${field}=${column}: without a header row, columns are numbered from 1`,
      );
    }
    columns.set(field, number - 1);
  }
  return columns;
}

export interface JsonLinesSettings extends EventMappingSettings {
  mapping: ColumnMapping;
  encoding: TextEncoding;
}

/** JSON lines: one JSON object per line; `--map` names the key of each field. */
export function openJsonLinesSource(file: string, settings: JsonLinesSettings): ImportSource {
  return {
    files: [file],
    items: () => emptyCatalog(),
    events: (progress) =>
      parseFileLines(file, settings.encoding, progress, (text) => {
        const object = parseJsonObject(text);
        return [buildMappedEvent((field) => object[settings.mapping[field] ?? field], settings)];
      }),
  };
}

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LineParseError(`invalid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LineParseError('expected a JSON object');
  }
  return value as Record<string, unknown>;
}

async function* emptyCatalog(): AsyncGenerator<never> {}
