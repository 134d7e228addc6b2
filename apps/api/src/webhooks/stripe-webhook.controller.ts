import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import { StripeWebhookService } from '@app/billing';
import { Public } from '../auth/auth.decorators.js';
import { RawBodyOnly } from '../common/body-parsing.js';

@ApiTags('webhooks')
@Public()
@Controller('api/v1/webhooks')
export class StripeWebhookController {
  constructor(private readonly webhooks: StripeWebhookService) {}

  /** Stripe's deliveries: verified on the raw body, each event id applied once. */
  @ApiExcludeEndpoint()
  @Post('stripe')
  @RawBodyOnly()
  @HttpCode(200)
  async receive(@Req() req: { rawBody?: Buffer }, @Headers('stripe-signature') signature: string | undefined): Promise<{ received: true }> {
    await this.webhooks.receive(req.rawBody, signature);
    return { received: true };
  }
}
