/**
 * IAM policy documents as the rules read them: statement by statement, from the JSON string IAM
 * takes, from cdktf's `${jsonencode(...)}` form (./hcl-expression.ts) or from an
 * `aws_iam_policy_document` data source of the same stack, and IAM's own action matching
 * (`*` and `?` wildcards, case-insensitive).
 */
import { parseJsonencode } from "./hcl-expression";
import type { SynthesizedStack, TfBlock } from "./types";

/** One statement, every list field a list. */
export interface Statement {
  /** Position in the document, for messages when there is no Sid. */
  readonly index: number;
  readonly sid?: string;
  readonly effect: unknown;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  readonly principal: unknown;
  readonly notPrincipal: unknown;
  readonly condition: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** A document's statements, or why it could not be read. */
export type ReadPolicy = { readonly statements: readonly Statement[] } | { readonly unreadable: string };

const list = (v: unknown): string[] => (v === undefined || v === null ? [] : [v].flat().filter((x): x is string => typeof x === "string"));

function statementsOf(doc: unknown): Statement[] {
  if (!doc || typeof doc !== "object") return [];
  const raw = (doc as TfBlock).Statement;
  return [raw]
    .flat()
    .map((st, index) => ({ st, index }))
    .filter(({ st }) => st && typeof st === "object")
    .map(({ st, index }) => ({
      index,
      sid: typeof st.Sid === "string" ? st.Sid : undefined,
      effect: st.Effect,
      actions: list(st.Action),
      notActions: list(st.NotAction),
      resources: list(st.Resource),
      notResources: list(st.NotResource),
      principal: st.Principal,
      notPrincipal: st.NotPrincipal,
      condition: st.Condition && typeof st.Condition === "object" ? st.Condition : {},
    }));
}

/** An `aws_iam_policy_document` data source's statement blocks in IAM JSON spelling. */
function fromDataSource(block: TfBlock): unknown {
  const principals = (ps: unknown) => {
    const out: Record<string, string[]> = {};
    for (const p of [ps ?? []].flat() as TfBlock[]) out[p.type] = [...(out[p.type] ?? []), ...list(p.identifiers)];
    return Object.keys(out).length > 0 ? out : undefined;
  };
  return {
    Statement: ([block.statement ?? []].flat() as TfBlock[]).map((s) => ({
      Sid: s.sid,
      Effect: s.effect ?? "Allow",
      Action: s.actions,
      NotAction: s.not_actions,
      Resource: s.resources,
      NotResource: s.not_resources,
      Principal: principals(s.principals),
      NotPrincipal: principals(s.not_principals),
      Condition: Object.fromEntries(
        ([s.condition ?? []].flat() as TfBlock[]).map((c) => [c.test, { [c.variable]: c.values }]),
      ),
    })),
  };
}

/**
 * Reads a policy attribute. A value that is no string (an unresolved token object) returns
 * undefined: nothing to judge. A string that is neither JSON, nor jsonencode() of a literal
 * document, nor a reference to a policy-document data source of `stack` is unreadable.
 */
export function readPolicy(value: unknown, stack?: SynthesizedStack): ReadPolicy | undefined {
  if (typeof value !== "string") return undefined;
  try {
    return { statements: statementsOf(JSON.parse(value)) };
  } catch {
    // not JSON: below
  }
  const encoded = parseJsonencode(value);
  if (encoded !== undefined) return { statements: statementsOf(encoded) };
  const ref = /^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json\}$/.exec(value);
  const block = ref ? stack?.json.data?.aws_iam_policy_document?.[ref[1]] : undefined;
  if (block) return { statements: statementsOf(fromDataSource(block)) };
  return { unreadable: value.length > 80 ? `${value.slice(0, 77)}...` : value };
}

/** IAM's matching of an action pattern (`s3:Get*`, `*`) against an action, case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("")}$`, "i");
  return re.test(action);
}

/** Whether a statement's actions (Action, or everything but NotAction) include `action`. */
export function grants(st: Statement, action: string): boolean {
  if (st.notActions.length > 0) return !st.notActions.some((p) => actionMatches(p, action));
  return st.actions.some((p) => actionMatches(p, action));
}

/** A statement's name in messages: its Sid, or its position. */
export const statementName = (st: Statement) => (st.sid !== undefined ? `statement "${st.sid}"` : `statement ${st.index + 1}`);

/** Every IAM policy document of a stack: [address, the attribute's value]. */
export function iamPolicies(stack: SynthesizedStack): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const type of ["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"]) {
    for (const [name, block] of Object.entries(stack.json.resource?.[type] ?? {})) out.push([`${type}.${name}`, block.policy]);
  }
  for (const [name, role] of Object.entries(stack.json.resource?.aws_iam_role ?? {})) {
    for (const inline of [role.inline_policy ?? []].flat() as TfBlock[]) out.push([`aws_iam_role.${name}`, inline?.policy]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Actions that allow everything. */
const EVERYTHING = new Set(["*", "*:*"]);

/**
 * Services whose data, secrets, keys or identities a wildcard would hand out wholesale: a verb
 * family (`s3:Get*`, `secretsmanager:Put*`) there is as broad as `service:*` for a reader or writer.
 */
export const SENSITIVE_SERVICES: readonly string[] = [
  "s3",
  "secretsmanager",
  "ssm",
  "kms",
  "iam",
  "sts",
  "dynamodb",
  "rds",
  "elasticfilesystem",
  "ecr",
  "ecs",
  "ec2",
  "lambda",
  "logs",
  "sqs",
  "sns",
];

/** Why an Allow's action pattern is too wide for IAM.21, or undefined. `*` alone is IAM.1's. */
export function wildcardReason(pattern: string): string | undefined {
  if (EVERYTHING.has(pattern)) return undefined;
  const m = /^([A-Za-z0-9-]+):(.*)$/.exec(pattern);
  if (!m) return pattern.includes("*") ? `"${pattern}" matches actions of every service` : undefined;
  const [, service, action] = m;
  if (!/[*?]/.test(action)) return undefined;
  if (/^[*?]+$/.test(action)) return `"${pattern}" allows every ${service} action`;
  if (!SENSITIVE_SERVICES.includes(service.toLowerCase())) return undefined;
  // A verb family (Get*, Put*, Delete*) or a wildcard before the verb (*Object): as wide as the service for that kind of access.
  const literal = action.split(/[*?]/)[0];
  if (literal === "" || /^[A-Z][a-z]*$/.test(literal)) return `"${pattern}" allows a whole family of ${service} actions`;
  return undefined;
}

/** Whether an action pattern is IAM.1's "everything". */
export const allowsEverything = (pattern: string) => EVERYTHING.has(pattern);

/** A resource pattern that names every role (or every resource). */
export const everyRole = (resource: string) => resource === "*" || /:role\/\*$/.test(resource) || /^arn:[^:]*:iam::\*:/.test(resource);
