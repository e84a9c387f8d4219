// SARIF 2.1.0 validation against the official JSON Schema (shipped in @microsoft/jest-sarif; draft-04, hence ajv-draft-04).
import Ajv from 'ajv-draft-04';
import schema from '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json' with { type: 'json' };

// The schema's patterns are not valid under the `u` flag, and format keywords (uri) are left unchecked.
const validate = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false, validateFormats: false }).compile(schema);

/** The schema's complaints about a SARIF log's text: `<path> <message>` each; empty when it is valid. */
export function sarifErrors(text: string): string[] {
  if (validate(JSON.parse(text))) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}
