import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { ValidationFailedError, type FieldError } from '@app/common';
import { inspectRawInput, MAX_LISTED_ERRORS } from './raw-input.js';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

const SCOPE: Partial<Record<ArgumentMetadata['type'], string>> = { body: 'request body', query: 'query string', param: 'path' };

/**
 * The global pipe, the API's one input boundary. Every body, query and path value is first looked at as it
 * arrived (raw-input.ts: size, depth, text PostgreSQL cannot store), then class-validator rejects unknown fields
 * and lists each field's problem (at most MAX_LISTED_ERRORS) in `details.errors`. Path and query primitives are
 * handed on as the text they arrived as: converting `0x10` to 16 here would let a later, stricter pipe (IdPipe)
 * see a number it can no longer judge.
 */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const scope = SCOPE[metadata.type];
    if (!scope) return super.transform(value, metadata);
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw ValidationFailedError.forField('body', 'The request body must be a JSON object.');
    }
    const verdict = inspectRawInput(value, metadata.data ?? (metadata.type === 'body' ? 'body' : metadata.type), scope);
    if (!verdict.ok) throw new ValidationFailedError(verdict.errors, verdict.message);
    return super.transform(value, metadata);
  }

  protected override transformPrimitive(value: unknown): unknown {
    return value;
  }
}

export function createValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const all = flatten(errors);
      const fields = all.slice(0, MAX_LISTED_ERRORS);
      const more = all.length > fields.length ? ` (and ${all.length - fields.length} more)` : '';
      return new ValidationFailedError(fields, fields.map((f) => `${f.field}: ${f.messages.join(', ')}`).join('; ') + more);
    },
  });
}
