import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { IsEmailAddress } from '../common/validators.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class SignupDto {
  @ApiProperty({ example: 'Acme Goods' })
  @Transform(trim) @IsString() @MinLength(1) @MaxLength(200)
  vendor_name: string;

  @ApiProperty({ example: 'acme-goods', description: '3–32 of a-z0-9-' })
  @IsString() @Matches(/^[a-z0-9-]{3,32}$/, { message: 'vendor_code must be 3–32 characters of a-z, 0-9 and -' })
  vendor_code: string;

  @ApiProperty({ example: 'owner@acme.test' })
  @Transform(trim) @IsEmailAddress() @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 8 })
  @IsString() @MinLength(8) @MaxLength(200)
  password: string;
}

export class LoginDto {
  @ApiProperty()
  @Transform(trim) @IsEmailAddress() @MaxLength(254)
  email: string;

  @ApiProperty()
  @IsString() @MinLength(1) @MaxLength(200)
  password: string;
}
