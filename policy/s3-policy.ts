/**
 * S3 bucket policies evaluated statement by statement (./iam.ts reads them): which statement lets
 * anyone read or write, and whether one really denies requests without TLS. A statement's Sid is a
 * name, never its meaning: a statement called "Deny" that says `"Effect": "Allow"` allows.
 */
import { grants, type Statement } from "./iam";

/** A principal that is everyone: `"*"`, `{"AWS": "*"}` (or a list holding it), `{"CanonicalUser": "*"}`. */
export function isEveryone(principal: unknown): boolean {
  if (principal === "*") return true;
  if (!principal || typeof principal !== "object") return false;
  return Object.entries(principal as Record<string, unknown>).some(([k, v]) => (k === "AWS" || k === "CanonicalUser") && [v].flat().includes("*"));
}

/**
 * Condition keys that narrow who can use a statement to a known account, organization, network or
 * source, with an operator that requires a match (not `...IfExists`, not a negation, not Null).
 */
const RESTRICTING_KEYS = [
  "aws:sourceaccount",
  "aws:sourcearn",
  "aws:sourceowner",
  "aws:sourcevpc",
  "aws:sourcevpce",
  "aws:sourceip",
  "aws:principalaccount",
  "aws:principalarn",
  "aws:principalorgid",
  "aws:principalorgpaths",
  "aws:userid",
  "aws:username",
  "aws:principalservicename",
];

/** Whether a statement's condition limits it to a known account, organization, network or source. */
export function hasRestrictingCondition(st: Statement): boolean {
  return Object.entries(st.condition).some(
    ([operator, keys]) =>
      !/IfExists$|^Null$|Not|^ForAllValues:/i.test(operator) &&
      keys &&
      typeof keys === "object" &&
      Object.entries(keys).some(([key, values]) => RESTRICTING_KEYS.includes(key.toLowerCase()) && ![values].flat().some((v) => v === "*" || v === "0.0.0.0/0" || v === "::/0")),
  );
}

/** Actions that read a bucket or its objects. */
export const S3_READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions", "s3:GetObjectAcl", "s3:GetBucketPolicy"];
/** Actions that write, overwrite or delete objects, or change who may. */
export const S3_WRITE_ACTIONS = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl", "s3:PutBucketPolicy", "s3:PutBucketAcl", "s3:DeleteBucket", "s3:ReplicateObject", "s3:RestoreObject"];

/** Allow statements open to everyone without a restricting condition, with the actions of `kind` they grant. */
export function publicGrants(statements: readonly Statement[], kind: "read" | "write"): { statement: Statement; actions: string[] }[] {
  const actions = kind === "read" ? S3_READ_ACTIONS : S3_WRITE_ACTIONS;
  return statements
    .filter((st) => st.effect === "Allow" && (isEveryone(st.principal) || st.notPrincipal !== undefined) && !hasRestrictingCondition(st))
    .map((statement) => ({ statement, actions: actions.filter((a) => grants(statement, a)) }))
    .filter((g) => g.actions.length > 0);
}

/**
 * Whether a statement denies every request to the bucket and its objects made without TLS:
 * Effect Deny, everyone, every S3 action, the bucket and its objects, and the condition
 * `Bool` (or `BoolIfExists`) `aws:SecureTransport` = false.
 */
export function deniesInsecureTransport(st: Statement, bucket: { readonly arnRef: string; readonly literalArns: readonly string[] }): boolean {
  if (st.effect !== "Deny" || !isEveryone(st.principal)) return false;
  if (!["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"].every((a) => grants(st, a))) return false;
  const bucketArns = [bucket.arnRef, ...bucket.literalArns];
  const coversBucket = st.resources.some((r) => r === "*" || bucketArns.includes(r));
  const coversObjects = st.resources.some((r) => r === "*" || bucketArns.some((arn) => r === `${arn}/*` || r === `${arn}*`));
  if (!coversBucket || !coversObjects) return false;
  return Object.entries(st.condition).some(
    ([operator, keys]) =>
      /^Bool(IfExists)?$/.test(operator) &&
      keys &&
      typeof keys === "object" &&
      Object.entries(keys).some(([k, v]) => k.toLowerCase() === "aws:securetransport" && [v].flat().length > 0 && [v].flat().every((x) => x === false || x === "false")),
  );
}
