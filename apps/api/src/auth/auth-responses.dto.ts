import { ApiProperty } from '@nestjs/swagger';

// The answers of /api/v1/auth (CONTRACT §3), for the OpenAPI document.

export class SessionUserDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'owner@acme.test' }) email: string;
  @ApiProperty({ enum: ['vendor', 'admin'], enumName: 'UserRole' }) role: string;
  @ApiProperty({ enum: ['owner', 'member'], enumName: 'VendorRole', nullable: true, description: 'null for admins' }) vendor_role: string | null;
}

export class SessionVendorDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'acme-goods' }) code: string;
  @ApiProperty({ example: 'Acme Goods' }) name: string;
}

export class AuthSessionDto {
  @ApiProperty() access_token: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type: string;
  @ApiProperty({ example: 3600, description: 'seconds' }) expires_in: number;
  @ApiProperty({ type: SessionUserDto }) user: SessionUserDto;
  @ApiProperty({ type: SessionVendorDto, nullable: true, description: 'null for admins' }) vendor: SessionVendorDto | null;
}

export class MeDto {
  @ApiProperty() user_id: number;
  @ApiProperty({ enum: ['vendor', 'admin'], enumName: 'UserRole' }) role: string;
  @ApiProperty({ type: 'integer', nullable: true }) vendor_id: number | null;
  @ApiProperty({ enum: ['owner', 'member'], enumName: 'VendorRole', nullable: true }) vendor_role: string | null;
}
