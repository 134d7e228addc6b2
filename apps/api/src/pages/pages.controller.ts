import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import { NotFoundError } from '@app/common';
import { Public } from '../auth/auth.decorators.js';
import { createHash } from 'node:crypto';
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

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** Through the HTTP adapter, so the page is served the same on Fastify and Express. */
  private setHeaders(res: unknown, headers: Record<string, string>): void {
    for (const [name, value] of Object.entries(headers)) this.adapterHost.httpAdapter.setHeader(res, name, value);
  }

  @Get('vendor/:vendorCode/billing')
  async billingPage(@Param('vendorCode') vendorCode: string, @Res({ passthrough: true }) res: unknown): Promise<string> {
    if (!VENDOR_CODE.test(vendorCode)) throw new NotFoundError('Vendor billing page');
    this.setHeaders(res, { ...PAGE_SECURITY_HEADERS, 'Content-Type': PUBLIC_FILES['billing.html'], 'Cache-Control': 'no-store' });
    return readPublicFile(this.publicDir, 'billing.html');
  }

  /** The script and style sheet, with an ETag of their content: an unchanged file revalidates with a 304 and no body. */
  @Get('assets/:file')
  async asset(@Param('file') file: string, @Req() req: { headers: Record<string, string | string[] | undefined> }, @Res() res: unknown): Promise<void> {
    if (!isPublicFile(file) || file.endsWith('.html')) throw new NotFoundError('Asset');
    const body = await readPublicFile(this.publicDir, file);
    const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    this.setHeaders(res, { 'Content-Type': PUBLIC_FILES[file], 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache', ETag: etag });
    const unchanged = matchesEtag(req.headers['if-none-match'], etag);
    this.adapterHost.httpAdapter.reply(res, unchanged ? '' : body, unchanged ? 304 : 200);
  }
}

/** `If-None-Match` (a list, weak or strong, or `*`) against our strong tag. */
function matchesEtag(header: string | string[] | undefined, etag: string): boolean {
  if (typeof header !== 'string') return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
