import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'interactions' })
export class InteractionEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  /** Internal `users.id`. */
  @Column({ name: 'user_id', type: 'bigint' })
  userId!: string;

  /** Internal `items.id`. */
  @Column({ name: 'item_id', type: 'bigint' })
  itemId!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 32 })
  eventType!: string;

  /** Rating or weight; null when the event type carries none. */
  @Column({ type: 'double precision', nullable: true })
  value!: number | null;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  /** The client's idempotency key, unique when present. */
  @Column({ name: 'event_id', type: 'varchar', length: 128, nullable: true })
  eventId!: string | null;

  /** The served recommendation list that led to this interaction, if any. */
  @Column({ name: 'recommendation_id', type: 'uuid', nullable: true })
  recommendationId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
