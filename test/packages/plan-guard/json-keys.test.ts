/** The one-pass duplicate-field scanner the policy reader uses instead of a YAML parse per document. */
import { firstRepeatedField } from "../../../packages/plan-guard/json-keys";

const paths = (text: string) => [firstRepeatedField(text), firstRepeatedField(text, JSON.parse(text))];

test.each([
  ['{"a":1,"b":{"c":[1,{"d":2,"d":3}]}}', "b.c[1].d"],
  ['{"Statement":[{"Effect":"Allow"},{"Effect":"Deny","Eff\\u0065ct":"Allow"}]}', "Statement[1].Effect"],
  ['{"a":"x\\"","a":1}', "a"],
  ['{ "a" : 1 , "b" : [ ] , "a" : 2 }', "a"],
  ['[{"k":1},{"k":2,"k":3}]', "[1].k"],
])("%s: %s", (text, path) => expect(paths(text)).toEqual([path, path]));

test.each([
  '{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}',
  '{"a":"\\"b\\":1","b":2}',
  '{"x":"\\\\","y":"{\\"z\\":1,\\"z\\":2}"}',
  "[]",
  '"text"',
  '{"":1,"  ":2}',
])("%s has no field written twice", (text) => {
  expect(paths(text)).toEqual([undefined, undefined]);
});
