import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RevenueService, revenueCsv } from '@app/subscription';
import { AdminOnly } from '../../auth/auth.decorators.js';
import { ApiErrors } from '../../common/openapi/index.js';
import { RevenueDto, RevenueQuery } from './revenue.dto.js';

/** MRR and its movements from the history of plan changes (CONTRACT §10). */
@ApiTags('admin')
@AdminOnly()
@Controller('api/v1/admin')
export class RevenueController {
  constructor(private readonly revenue: RevenueService) {}

  @Get('revenue')
  @ApiOperation({ description: 'GET /api/v1/admin/revenue.csv?months= answers the same months as CSV (text/csv, a header line of the month fields).' })
  @ApiOkResponse({ type: RevenueDto })
  @ApiErrors(400)
  get(@Query() query: RevenueQuery) {
    return this.revenue.getRevenue(query.months);
  }

  @Get('revenue.csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @Header('Content-Disposition', 'attachment; filename="revenue.csv"')
  // Described on GET /revenue: the document gives every operation a JSON answer, and this one is text/csv.
  @ApiExcludeEndpoint()
  async csv(@Query() query: RevenueQuery): Promise<string> {
    return revenueCsv(await this.revenue.getRevenue(query.months));
  }
}
