/**
 * The settings loader's fast HCL path (settings/hcl-literal.ts) against @cdktf/hcl2json: the same
 * JSON, key order included, for every literal form; no answer (hcl2json decides) for the rest.
 */
import { parse } from "@cdktf/hcl2json";
import { describe, expect, it } from "vitest";
import { parseLiteralHcl } from "../settings/hcl-literal";
import { shippedFile } from "./support/settings";

const LITERAL: [string, string][] = [
  ["the shipped common.tfvars", shippedFile("common.tfvars")],
  ["the shipped prod.tfvars", shippedFile("prod.tfvars")],
  ["the shipped dev.tfvars", shippedFile("dev.tfvars")],
  ["keys out of order, nested", `zeta = 1\nalpha = { b = 2, a = [1, 2.5, 3e2], "Quoted key" = true }\nmid = null\n`],
  ["escapes and unicode", `s = "tab\\t quote\\" back\\\\ nl\\n \\u00e9 \\U0001F600 한국어"\n`],
  ["comments of every kind", `# hash\n// slashes\na = /* inline */ 1 # trailing\nb = {\n  /* multi\n  line */\n  c = 2 // after\n}\n`],
  ["newline-separated objects and lists with trailing commas", `a = {\n  x = [\n    1,\n    2,\n  ]\n  y: "colon"\n}\nb = []\nc = {}\n`],
  ["a key written twice in an object (the last one wins)", `a = { k = 1, k = 2 }\n`],
  ["CRLF line endings", `a = 1\r\nb = { c = "d" }\r\n`],
  ["a huge whole number", `a = 99999999999999999999999\n`],
];

const NOT_LITERAL: [string, string][] = [
  ["an expression", `a = var.x\n`],
  ["a template", `a = "\${var.x}"\n`],
  ["a template escape", `a = "$\${x}"\n`],
  ["a heredoc", `a = <<EOT\ntext\nEOT\n`],
  ["a negative number", `a = -1\n`],
  ["a number too large", `a = 1e400\n`],
  ["a block", `a {\n  b = 1\n}\n`],
  ["a top-level attribute twice", `a = 1\na = 2\n`],
  ["a syntax error", `a = {\n  b = \n}\n`],
  ["two values on one line", `a = 1 b = 2\n`],
];

describe("GIVEN a settings file of literals", () => {
  it.each(LITERAL)("WHEN it is %s THEN the fast path returns exactly hcl2json's JSON", async (_what, source) => {
    const fast = parseLiteralHcl(source);
    expect(fast).toBeDefined();
    expect(JSON.stringify(fast)).toBe(JSON.stringify(await parse("f.tfvars", source)));
  });
});

describe("GIVEN a settings file with more than literals", () => {
  it.each(NOT_LITERAL)("WHEN it has %s THEN the fast path leaves it to hcl2json", (_what, source) => {
    expect(parseLiteralHcl(source)).toBeUndefined();
  });
});
