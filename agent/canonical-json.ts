import canonicalizeModule from 'canonicalize';

// The package is CommonJS (module.exports = fn) while its typings declare a default
// export; under NodeNext the default import IS the function, whatever the typings say.
const serialize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** RFC 8785 (JCS) canonical JSON: the form that is hashed and signed. */
export function canonicalJson(value: unknown): string {
  const text = serialize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}
