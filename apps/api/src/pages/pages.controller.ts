import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { NotFoundError } from '@app/common';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { findPublicDir, isPublicFile, PUBLIC_FILES, readPublicFile } from './public-assets.js';

const VENDOR_CODE = /^[a-z0-9-]{3,32}$/;

/** Only our own files, no inline code, no framing; the page talks to this API only. */
const PAGE_SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/**
 * The vendor billing page (CONTRACT §8) and its script and style sheet, from apps/api/public.
 *
 * The page is the same for every well-formed vendor code and never looks the vendor up: what it shows comes
 * from the API calls it makes with the signed-in user's token, which are scoped to that user's vendor, so the
 * URL reveals nothing (not even whether a vendor code exists). A malformed code is a 404.
 */
@ApiExcludeController()
@Public()
@Controller()
export class PagesController {
  private readonly publicDir = findPublicDir();

  @Get('vendor/:vendorCode/billing')
  async billingPage(@Param('vendorCode') vendorCode: string, @Res({ passthrough: true }) res: Response): Promise<string> {
    if (!VENDOR_CODE.test(vendorCode)) throw new NotFoundError('Vendor billing page');
    res.set({ ...PAGE_SECURITY_HEADERS, 'Content-Type': PUBLIC_FILES['billing.html'], 'Cache-Control': 'no-store' });
    return readPublicFile(this.publicDir, 'billing.html');
  }

  @Get('assets/:file')
  async asset(@Param('file') file: string, @Res({ passthrough: true }) res: Response): Promise<string> {
    if (!isPublicFile(file) || file.endsWith('.html')) throw new NotFoundError('Asset');
    res.set({ 'Content-Type': PUBLIC_FILES[file], 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
    return readPublicFile(this.publicDir, file);
  }
}
