import { Controller, Get, Header, Param, StreamableFile } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { NotFoundError } from '@app/common';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Public } from '../auth/auth.decorators.js';
import { findPublicDir } from './public-assets.js';

/** Only our own files, no inline code, no framing; the console talks to this API only. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The console's own files (apps/api/public/admin), by public name; nothing else is ever read. */
const CONSOLE_FILES: Record<string, string> = {
  'admin.css': CSS,
  'admin-main.js': JS,
  'admin-api.js': JS,
  'admin-dom.js': JS,
  'admin-charts.js': JS,
  'admin-overview.js': JS,
  'admin-vendors.js': JS,
  'admin-vendor-page.js': JS,
  'admin-ledgers.js': JS,
  'admin-jobs.js': JS,
  'admin-revenue.js': JS,
  'admin-price-migrations.js': JS,
};

/** The chart library, served from its npm package (a dependency), never from a CDN. */
const UPLOT_FILES: Record<string, { file: string; type: string }> = {
  'uplot.esm.js': { file: 'uPlot.esm.js', type: JS },
  'uplot.min.css': { file: 'uPlot.min.css', type: CSS },
};

function uplotDist(): string {
  return dirname(createRequire(import.meta.url).resolve('uplot'));
}

/**
 * The admin console (CONTRACT §8): one page, plain ES modules and uPlot, all from this API. The page itself holds
 * nothing secret: it signs in with an admin account and every view is an admin API call with that token.
 */
@ApiExcludeController()
@Public()
@Controller('admin')
export class AdminConsoleController {
  private readonly consoleDir = join(findPublicDir(), 'admin');
  private readonly uplotDir = uplotDist();

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('X-Frame-Options', 'DENY')
  @Header('Cache-Control', 'no-store')
  page(): Promise<string> {
    return readFile(join(this.consoleDir, 'admin.html'), 'utf8');
  }

  @Get('assets/:file')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'no-cache')
  async asset(@Param('file') file: string): Promise<StreamableFile> {
    if (Object.hasOwn(CONSOLE_FILES, file)) {
      return new StreamableFile(await readFile(join(this.consoleDir, file)), { type: CONSOLE_FILES[file] });
    }
    if (Object.hasOwn(UPLOT_FILES, file)) {
      const { file: name, type } = UPLOT_FILES[file];
      return new StreamableFile(await readFile(join(this.uplotDir, name)), { type });
    }
    throw new NotFoundError('Asset');
  }
}
