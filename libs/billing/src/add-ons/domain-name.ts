const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TOP_LEVEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * A registrable hostname in its stored form (lower case, no trailing dot), or null when it is not one:
 * at least two labels of a-z0-9 and inner hyphens, an alphabetic (or punycode) top-level label, 253 characters
 * at most. IP addresses, wildcards, ports, paths and single labels are refused.
 */
export function normalizeDomainName(input: string): string | null {
  const name = input.trim().toLowerCase().replace(/\.$/, '');
  if (name.length === 0 || name.length > 253) return null;
  const labels = name.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  return TOP_LEVEL.test(labels[labels.length - 1]) ? name : null;
}
