/**
 * A PostgreSQL array literal (`{"a","b"}`) to bind as one parameter: the query builder would
 * otherwise spread a JavaScript array into a list of parameters.
 */
export function pgArray(values: readonly (string | number)[]): string {
  return `{${values.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
