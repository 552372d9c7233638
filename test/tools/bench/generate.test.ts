import { validationMessages } from "../../../environments/validation";
import { generateEnvironments } from "../../../tools/bench/generate";

test("the scale benchmark's generated environments pass validation together (unique names across environments)", () => {
  const envs = generateEnvironments(12);
  expect(validationMessages(Object.fromEntries(envs.map((e) => [e.name, e])))).toEqual([]);
});
