import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type JobRunStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

/** One run of a worker job: what `GET /admin/jobs` lists and what an operator reads after a bad night. */
@Entity('job_runs')
export class JobRun {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  status: JobRunStatus;

  @Column({ type: 'timestamptz' })
  startedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'integer', default: 0 })
  rowsAffected: number;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null;
}
