import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users, items and interaction events. Callers address users and items by their own string
 * ids (`external_id`); the bigint keys stay internal so joins and indexes remain small.
 */
export class InitialSchema1764892800000 implements MigrationInterface {
  name = 'InitialSchema1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE users (
        id bigint GENERATED ALWAYS AS IDENTITY,
        external_id varchar(128) NOT NULL,
        attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_users PRIMARY KEY (id),
        CONSTRAINT uq_users_external_id UNIQUE (external_id),
        CONSTRAINT ck_users_external_id_not_empty CHECK (length(external_id) > 0)
      )`);

    await queryRunner.query(`
      CREATE TABLE items (
        id bigint GENERATED ALWAYS AS IDENTITY,
        external_id varchar(128) NOT NULL,
        title varchar(512) NOT NULL,
        categories text[] NOT NULL DEFAULT '{}',
        attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
        hidden boolean NOT NULL DEFAULT false,
        published_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_items PRIMARY KEY (id),
        CONSTRAINT uq_items_external_id UNIQUE (external_id),
        CONSTRAINT ck_items_external_id_not_empty CHECK (length(external_id) > 0)
      )`);
    await queryRunner.query(`CREATE INDEX ix_items_categories ON items USING gin (categories)`);

    await queryRunner.query(`
      CREATE TABLE interactions (
        id bigint GENERATED ALWAYS AS IDENTITY,
        user_id bigint NOT NULL,
        item_id bigint NOT NULL,
        event_type varchar(32) NOT NULL,
        value double precision NULL,
        occurred_at timestamptz NOT NULL,
        event_id varchar(128) NULL,
        recommendation_id uuid NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_interactions PRIMARY KEY (id),
        CONSTRAINT fk_interactions_user FOREIGN KEY (user_id)
          REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT fk_interactions_item FOREIGN KEY (item_id)
          REFERENCES items (id) ON DELETE CASCADE,
        CONSTRAINT uq_interactions_event_id UNIQUE (event_id)
      )`);
    // Serves "latest interactions of a user" (recommendations, GET /users/:id/interactions).
    await queryRunner.query(
      `CREATE INDEX ix_interactions_user_occurred_at
         ON interactions (user_id, occurred_at DESC, id DESC)`,
    );
    // Serves the cascade from items and per-item popularity counts.
    await queryRunner.query(`CREATE INDEX ix_interactions_item ON interactions (item_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE interactions`);
    await queryRunner.query(`DROP TABLE items`);
    await queryRunner.query(`DROP TABLE users`);
  }
}
