import { ValidateBy, ValidateIf, isEmail, type ValidationOptions } from 'class-validator';

/**
 * The API's field decorators where class-validator's own ones are too loose for a request boundary
 * (ESLint keeps `IsOptional` and `IsEmail` out of apps/api).
 */

/** Optional means absent or valid: `null` is validated like any other value (and refused by a type check). */
export const OptionalField = () => ValidateIf((_: object, value: unknown) => value !== undefined);

/** Absent, `null` (the field says what null means, e.g. unlimited), or valid. */
export const NullableField = () => ValidateIf((_: object, value: unknown) => value !== undefined && value !== null);

/**
 * An e-mail address. validator.js's `isEmail` throws (URIError) on some strings, e.g. a lone surrogate, instead
 * of answering false; a validator that throws would turn a bad request into a 500.
 */
export function IsEmailAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEmailAddress',
      validator: {
        validate: (value: unknown) => {
          try {
            return typeof value === 'string' && isEmail(value);
          } catch {
            return false;
          }
        },
        defaultMessage: (args) => `${args?.property ?? 'value'} must be an email`,
      },
    },
    options,
  );
}
