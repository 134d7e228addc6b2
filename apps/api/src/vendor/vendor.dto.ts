import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsEmailAddress, OptionalField } from '../common/validators.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const INT_MAX = 2_147_483_647;

export class PageQueryDto {
  @ApiPropertyOptional({ default: 50, maximum: 500 })
  @OptionalField() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 50;

  @ApiPropertyOptional({ default: 0 })
  @OptionalField() @Type(() => Number) @IsInt() @Min(0) @Max(INT_MAX)
  offset: number = 0;
}

export class CreateProductDto {
  @ApiProperty({ example: 'Blue mug' })
  @Transform(trim) @IsString() @MinLength(1) @MaxLength(200)
  name: string;

  @ApiProperty({ example: 1299 })
  @IsInt() @Min(0) @Max(INT_MAX)
  price_cents: number;

  @ApiPropertyOptional({ example: 'MUG-BLUE' })
  @OptionalField() @Transform(trim) @IsString() @MinLength(1) @MaxLength(64)
  sku?: string;
}

export class CreateOrderDto {
  @ApiProperty({ example: 4500 })
  @IsInt() @Min(0) @Max(INT_MAX)
  total_cents: number;

  @ApiPropertyOptional({ example: 'buyer@example.test' })
  @OptionalField() @Transform(trim) @IsEmailAddress() @MaxLength(254)
  customer_email?: string;
}

export class AddTeamMemberDto {
  @ApiProperty({ example: 'clerk@acme.test' })
  @Transform(trim) @IsEmailAddress() @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 8 })
  @IsString() @MinLength(8) @MaxLength(200)
  password: string;
}
