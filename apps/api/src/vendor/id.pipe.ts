import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from '@app/common';

const INT4_MAX = 2_147_483_647;

/**
 * A path id: plain decimal text of a positive 32-bit integer (`12`; not `0xC`, ` 12`, `+12`, `012`, `12.0` or
 * `1.2e1`), else VALIDATION_FAILED naming the parameter. It judges the text as it arrived: the global pipe hands
 * path values on unconverted.
 */
@Injectable()
export class IdPipe implements PipeTransform<unknown, number> {
  transform(value: unknown, metadata?: ArgumentMetadata): number {
    const field = metadata?.data ?? 'id';
    if (typeof value !== 'string' || !/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > INT4_MAX) {
      throw ValidationFailedError.forField(field, `${field} must be a positive integer written in decimal digits`);
    }
    return Number(value);
  }
}
