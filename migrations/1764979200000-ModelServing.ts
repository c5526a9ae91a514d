import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Model registry, served recommendation lists and training runs.
 *
 * - `model_versions` keeps each trained model with its ONNX bytes and item-id mapping, so any
 *   API instance can load it without a shared disk. A partial unique index allows at most
 *   one row with status `active`.
 * - `recommendations` keeps every served list, for attribution and consistent paging.
 * - `training_runs` is the queue of retraining runs. A partial unique index allows at most
 *   one run that is queued or running.
 */
export class ModelServing1764979200000 implements MigrationInterface {
  name = 'ModelServing1764979200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE model_versions (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz NULL,
        status varchar(16) NOT NULL,
        config jsonb NOT NULL,
        metrics jsonb NOT NULL DEFAULT '{}'::jsonb,
        data_cutoff timestamptz NULL,
        item_count integer NOT NULL,
        item_ids jsonb NOT NULL,
        event_types jsonb NOT NULL DEFAULT '[]'::jsonb,
        manifest jsonb NOT NULL,
        onnx bytea NOT NULL,
        training_run_id uuid NULL,
        CONSTRAINT pk_model_versions PRIMARY KEY (id),
        CONSTRAINT ck_model_versions_status
          CHECK (status IN ('registered', 'active', 'inactive', 'rejected')),
        CONSTRAINT ck_model_versions_item_count CHECK (item_count > 0)
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX ux_model_versions_single_active
         ON model_versions ((true)) WHERE status = 'active'`,
    );
    await queryRunner.query(
      `CREATE INDEX ix_model_versions_created_at ON model_versions (created_at DESC)`,
    );

    await queryRunner.query(`
      CREATE TABLE recommendations (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now(),
        user_external_id varchar(128) NOT NULL,
        model_version_id uuid NULL,
        source varchar(16) NOT NULL,
        request jsonb NOT NULL DEFAULT '{}'::jsonb,
        items jsonb NOT NULL,
        CONSTRAINT pk_recommendations PRIMARY KEY (id),
        CONSTRAINT fk_recommendations_model_version FOREIGN KEY (model_version_id)
          REFERENCES model_versions (id) ON DELETE SET NULL,
        CONSTRAINT ck_recommendations_source CHECK (source IN ('model', 'popular'))
      )`);
    // Serves retention clean-up.
    await queryRunner.query(
      `CREATE INDEX ix_recommendations_created_at ON recommendations (created_at)`,
    );
    // Serves "the user's latest list with these parameters" for consistent paging.
    await queryRunner.query(
      `CREATE INDEX ix_recommendations_user_created_at
         ON recommendations (user_external_id, created_at DESC)`,
    );
    // Serves attribution: interactions that point at a served list.
    await queryRunner.query(
      `CREATE INDEX ix_interactions_recommendation
         ON interactions (recommendation_id) WHERE recommendation_id IS NOT NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE training_runs (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz NULL,
        finished_at timestamptz NULL,
        heartbeat_at timestamptz NULL,
        status varchar(16) NOT NULL DEFAULT 'queued',
        trigger varchar(16) NOT NULL DEFAULT 'api',
        parameters jsonb NOT NULL DEFAULT '{}'::jsonb,
        force boolean NOT NULL DEFAULT false,
        cancel_requested boolean NOT NULL DEFAULT false,
        worker varchar(256) NULL,
        progress jsonb NOT NULL DEFAULT '{}'::jsonb,
        data_cutoff timestamptz NULL,
        error text NULL,
        model_version_id uuid NULL,
        CONSTRAINT pk_training_runs PRIMARY KEY (id),
        CONSTRAINT fk_training_runs_model_version FOREIGN KEY (model_version_id)
          REFERENCES model_versions (id) ON DELETE SET NULL,
        CONSTRAINT ck_training_runs_status
          CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        CONSTRAINT ck_training_runs_trigger CHECK (trigger IN ('api', 'schedule'))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX ux_training_runs_single_pending
         ON training_runs ((true)) WHERE status IN ('queued', 'running')`,
    );
    await queryRunner.query(
      `CREATE INDEX ix_training_runs_created_at ON training_runs (created_at DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE training_runs`);
    await queryRunner.query(`DROP INDEX ix_interactions_recommendation`);
    await queryRunner.query(`DROP TABLE recommendations`);
    await queryRunner.query(`DROP TABLE model_versions`);
  }
}
