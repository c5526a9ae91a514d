import type { InferenceSession } from 'onnxruntime-node';
import type { DataSource, EntityManager } from 'typeorm';
import type { QFormerConfig } from '../model/qformer/config';
import {
  EncodedModel,
  encodeModel,
  LoadedModel,
  loadEncodedModel,
  SavedModelContents,
} from '../model/qformer/model-store';
import { ModelVersionNotFoundError } from './models.exceptions';
import { isUuid } from './uuid.pipe';

/** Channel of the NOTIFY sent when a version becomes active; the payload is its id. */
export const MODEL_ACTIVATED_CHANNEL = 'qrec_model_activated';

export const MODEL_VERSION_STATUSES = ['registered', 'active', 'inactive', 'rejected'] as const;
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];

/** Input of `register`: the trained model and facts about its training data. */
export interface RegisterModelInput {
  contents: SavedModelContents;
  /** Event types of the training data. */
  eventTypes: string[];
  /** Latest interaction time the training data could contain; null when unknown. */
  dataCutoff: Date | null;
  trainingRunId?: string;
  /** `rejected` keeps a version that lost to the active one, for inspection or rollback. */
  status: 'registered' | 'rejected';
}

/** A model version without its bytes. */
export interface ModelVersionSummary {
  id: string;
  createdAt: Date;
  activatedAt: Date | null;
  status: ModelVersionStatus;
  config: QFormerConfig;
  metrics: unknown;
  dataCutoff: Date | null;
  itemCount: number;
  eventTypes: string[];
  trainingRunId: string | null;
}

export interface ListModelVersionsOptions {
  /** Maximum number of versions, newest first; default 100. */
  limit?: number;
  status?: ModelVersionStatus;
}

/** A loaded model version, ready to serve, with its ONNX bytes for extra window sessions. */
export type ModelArtifact = LoadedModel & {
  versionId: string;
  eventTypes: string[];
  onnx: Uint8Array;
};

interface SummaryRow {
  id: string;
  created_at: Date;
  activated_at: Date | null;
  status: ModelVersionStatus;
  config: QFormerConfig;
  metrics: unknown;
  data_cutoff: Date | null;
  item_count: number;
  event_types: string[];
  training_run_id: string | null;
}

interface ArtifactRow {
  manifest: EncodedModel['manifest'];
  onnx: Buffer;
  item_ids: EncodedModel['items'];
  config: QFormerConfig;
  metrics: unknown;
  event_types: string[];
}

const SUMMARY_COLUMNS = `id, created_at, activated_at, status, config, metrics, data_cutoff,
  item_count, event_types, training_run_id`;

/**
 * Versions of the trained model in the `model_versions` table, each with its ONNX bytes and
 * item-id mapping, so that every API instance loads the same model without a shared disk.
 * At most one version is `active`; a partial unique index enforces it.
 */
export class ModelRegistry {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Exports the model and stores it with its configuration, metrics and manifest in one
   * INSERT, so a version is complete before anyone can activate it.
   */
  async register(input: RegisterModelInput): Promise<ModelVersionSummary> {
    const encoded = encodeModel(input.contents);
    const rows: SummaryRow[] = await this.dataSource.query(
      `INSERT INTO model_versions (status, config, metrics, data_cutoff, item_count, item_ids,
         event_types, manifest, onnx, training_run_id)
       VALUES ($1, $2::jsonb, $3::jsonb, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10)
       RETURNING ${SUMMARY_COLUMNS}`,
      [
        input.status,
        JSON.stringify(encoded.config),
        JSON.stringify(encoded.metrics),
        input.dataCutoff,
        encoded.manifest.itemCount,
        JSON.stringify(encoded.items),
        JSON.stringify(input.eventTypes),
        JSON.stringify(encoded.manifest),
        Buffer.from(encoded.onnx.buffer, encoded.onnx.byteOffset, encoded.onnx.byteLength),
        input.trainingRunId ?? null,
      ],
    );
    return toSummary(rows[0]);
  }

  /**
   * Makes a version the active one in one transaction: the previous active version becomes
   * `inactive`. A NOTIFY on `qrec_model_activated` with the id goes out when the transaction
   * commits. Any status can be activated, `rejected` included, because activation is an
   * explicit decision (a rollback or a forced promotion). Activating the active version
   * changes nothing but sends the NOTIFY again.
   */
  async activate(id: string): Promise<ModelVersionSummary> {
    return this.dataSource.transaction(async (manager) => {
      // Serialises concurrent activations, so the second one reads the row the first activated.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [MODEL_ACTIVATED_CHANNEL]);
      const current = isUuid(id) ? await findSummary(manager, id) : null;
      if (current === null) {
        throw new ModelVersionNotFoundError(id);
      }

      await manager.query(
        `UPDATE model_versions SET status = 'inactive' WHERE status = 'active' AND id <> $1`,
        [id],
      );
      await manager.query(
        `UPDATE model_versions
            SET status = 'active',
                activated_at = CASE WHEN status = 'active' THEN activated_at ELSE now() END
          WHERE id = $1`,
        [id],
      );
      await manager.query(`SELECT pg_notify($1, $2)`, [MODEL_ACTIVATED_CHANNEL, id]);
      return (await findSummary(manager, id)) as ModelVersionSummary;
    });
  }

  async findActive(): Promise<ModelVersionSummary | null> {
    const rows: SummaryRow[] = await this.dataSource.query(
      `SELECT ${SUMMARY_COLUMNS} FROM model_versions WHERE status = 'active'`,
    );
    return rows.length === 0 ? null : toSummary(rows[0]);
  }

  /** Returns the id of the active version, or null; cheaper than `findActive` for polling. */
  async findActiveId(): Promise<string | null> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM model_versions WHERE status = 'active'`,
    );
    return rows.length === 0 ? null : rows[0].id;
  }

  /** Lists versions newest first. */
  async list(options: ListModelVersionsOptions = {}): Promise<ModelVersionSummary[]> {
    const rows: SummaryRow[] = await this.dataSource.query(
      `SELECT ${SUMMARY_COLUMNS} FROM model_versions
        WHERE $1::varchar IS NULL OR status = $1
        ORDER BY created_at DESC, id
        LIMIT $2`,
      [options.status ?? null, options.limit ?? 100],
    );
    return rows.map(toSummary);
  }

  /** Returns a version; throws ModelVersionNotFoundError for an unknown id. */
  async get(id: string): Promise<ModelVersionSummary> {
    const summary = isUuid(id) ? await findSummary(this.dataSource.manager, id) : null;
    if (summary === null) {
      throw new ModelVersionNotFoundError(id);
    }
    return summary;
  }

  /**
   * Loads a version's model into an ONNX Runtime session after the checks of
   * `loadEncodedModel` (format version, checksums, item count, inputs and outputs).
   * Throws ModelVersionNotFoundError for an unknown id and ModelLoadError for a bad model.
   */
  async loadArtifact(
    id: string,
    sessionOptions: InferenceSession.SessionOptions = {},
  ): Promise<ModelArtifact> {
    const { encoded, eventTypes } = await this.readEncoded(id);
    const loaded = await loadEncodedModel(encoded, modelLabel(id), sessionOptions);
    return { ...loaded, versionId: id, eventTypes, onnx: encoded.onnx };
  }

  /**
   * Reads a version's stored parts without checking or loading them, for a process or
   * thread that loads them itself with `loadEncodedModel`. Throws ModelVersionNotFoundError
   * for an unknown id.
   */
  async readEncoded(id: string): Promise<{ encoded: EncodedModel; eventTypes: string[] }> {
    if (!isUuid(id)) {
      throw new ModelVersionNotFoundError(id);
    }
    const rows: ArtifactRow[] = await this.dataSource.query(
      `SELECT manifest, onnx, item_ids, config, metrics, event_types
         FROM model_versions WHERE id = $1`,
      [id],
    );
    if (rows.length === 0) {
      throw new ModelVersionNotFoundError(id);
    }
    const row = rows[0];
    const encoded: EncodedModel = {
      manifest: row.manifest,
      onnx: new Uint8Array(row.onnx.buffer, row.onnx.byteOffset, row.onnx.byteLength),
      items: row.item_ids,
      config: row.config,
      metrics: row.metrics,
    };
    return { encoded, eventTypes: row.event_types };
  }
}

/** Names a version in load errors. */
export function modelLabel(id: string): string {
  return `model version ${id}`;
}

async function findSummary(
  manager: EntityManager,
  id: string,
): Promise<ModelVersionSummary | null> {
  const rows: SummaryRow[] = await manager.query(
    `SELECT ${SUMMARY_COLUMNS} FROM model_versions WHERE id = $1`,
    [id],
  );
  return rows.length === 0 ? null : toSummary(rows[0]);
}

function toSummary(row: SummaryRow): ModelVersionSummary {
  return {
    id: row.id,
    createdAt: row.created_at,
    activatedAt: row.activated_at,
    status: row.status,
    config: row.config,
    metrics: row.metrics,
    dataCutoff: row.data_cutoff,
    itemCount: row.item_count,
    eventTypes: row.event_types,
    trainingRunId: row.training_run_id,
  };
}
