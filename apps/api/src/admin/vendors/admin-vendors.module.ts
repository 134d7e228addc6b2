import { Module } from '@nestjs/common';
import { AdminModule } from '@app/admin';
import { AdminVendorsController } from './admin-vendors.controller.js';

@Module({
  imports: [AdminModule],
  controllers: [AdminVendorsController],
})
export class AdminVendorsModule {}
