import { Module } from '@nestjs/common';
import { AdminConsoleController } from './admin-console.controller.js';
import { PagesController } from './pages.controller.js';

@Module({
  controllers: [PagesController, AdminConsoleController],
})
export class PagesModule {}
