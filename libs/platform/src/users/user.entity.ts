import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type UserRole = 'vendor' | 'admin';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id: number;

  /** Null for platform admins. */
  @Column({ type: 'integer', nullable: true })
  vendorId: number | null;

  /** Stored lower-cased; unique across the platform. */
  @Column({ type: 'varchar', length: 254, unique: true })
  email: string;

  @Column({ type: 'varchar', length: 200, select: false })
  passwordHash: string;

  @Column({ type: 'varchar', length: 16 })
  role: UserRole;

  /** The vendor's owner: created at signup, cannot be removed from the team. */
  @Column({ type: 'boolean', default: false })
  isOwner: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
