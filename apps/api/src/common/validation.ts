import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { ValidationFailedError, type FieldError } from '@app/common';

/** No route takes anything deeper; class-transformer recurses per level, so a far deeper body would overflow it. */
const MAX_BODY_DEPTH = 32;

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Whether `value` nests objects or arrays deeper than `limit` (iterative, so the check itself cannot overflow). */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * The global pipe: rejects unknown fields and lists every field's problem in `details.errors`; a body must be a
 * JSON object of sane depth before class-transformer sees it.
 */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw ValidationFailedError.forField('body', 'The request body must be a JSON object.');
      if (nestsDeeperThan(value, MAX_BODY_DEPTH)) throw ValidationFailedError.forField('body', `The request body nests deeper than ${MAX_BODY_DEPTH} levels.`);
    }
    return super.transform(value, metadata);
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
      const fields = flatten(errors);
      return new ValidationFailedError(fields, fields.map((f) => `${f.field}: ${f.messages.join(', ')}`).join('; '));
    },
  });
}
