import { Injectable, type PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from '@app/common';

/** A path id: a positive 32-bit integer, else VALIDATION_FAILED naming the parameter. */
@Injectable()
export class IdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^[1-9]\d{0,9}$/.test(value) || Number(value) > 2_147_483_647) throw ValidationFailedError.forField('id', 'id must be a positive integer');
    return Number(value);
  }
}
