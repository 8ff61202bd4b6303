/**
 * Secret-looking content in a plain value, for ECS.8: the config delivery (modules/config-delivery)
 * puts whole rendered files into environment values (`LGTM_CONFIG_<n>`), so a password typed into a
 * template or a setting would sit in the task definition, readable by anyone who can describe it.
 *
 * What counts: a private key block, an AWS access key id or a secret access key, a password / secret
 * / token key with a literal value (YAML `key: value`, INI or HCL `key = value`, JSON `"key": "value"`),
 * an htpasswd line with a password hash, credentials in a URL, and an `Authorization: Basic|Bearer`
 * header with its value. A value that points somewhere else is no secret: an environment or file
 * reference (`${VAR}`, `$__env{..}`, `$__file{..}`, `env("..")`, `sys.env("..")`, `{{ .. }}`), a path,
 * an empty value, or a `*_file` / `*_path` key.
 */

/** Names of keys whose value is a secret. */
const SECRET_KEY = String.raw`[A-Za-z0-9_.-]*(?:password|passwd|secret|secret_key|secret_access_key|api_key|apikey|access_token|auth_token|bearer_token|client_secret|private_key|token)`;

const KEY_VALUE = new RegExp(
  String.raw`(?:^|[\s{,;(])["']?(${SECRET_KEY})["']?\s*(?:=|:)\s*("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|\$(?:__\w+)?\{[^}\n]*\}|[^\s,;#}\]]+)`,
  "gim",
);

/** A value that only refers to where the secret is. */
function isIndirect(raw: string): boolean {
  const v = raw.replace(/^["']|["']$/g, "").trim();
  if (v === "" || v === "null" || v === "~" || v === "true" || v === "false") return true;
  if (/^(\$\{[^}]*\}|\$__(env|file|vault)\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|\{\{.*\}\}|%\(.*\)s)$/.test(v)) return true;
  if (/^(sys\.)?env\(|^local\.file\.|^remote\.|^file\(/.test(v)) return true;
  if (v.startsWith("/") || v.startsWith("./")) return true;
  // Not a literal at all: a template construct or a key list opening.
  if (/^[[{(|>]/.test(v)) return true;
  return false;
}

const CHECKS: [string, RegExp][] = [
  ["a private key", /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/],
  ["an AWS access key id", /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/],
  ["an htpasswd line with a password hash", /^[^\s:#]+:(?:\$apr1\$|\$2[aby]\$|\$[156]\$|\{SHA\}|\{SSHA\})\S+/m],
  ["credentials in a URL", /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']+:[^\s@/"'$]+@[^\s/"']+/i],
  ["an Authorization header with its value", /\bAuthorization["']?\s*[:=]?\s*["']?(?:Basic|Bearer)\s+[A-Za-z0-9+/=._-]{8,}/i],
];

/** What secret-looking content a value holds (one description per kind), or []. */
export function secretContent(value: string): string[] {
  const found: string[] = [];
  for (const [what, re] of CHECKS) if (re.test(value)) found.push(what);
  for (const m of value.matchAll(KEY_VALUE)) {
    const key = m[1];
    if (/(_file|_path|_env|_name|_header|_arn|_id|_type|_field|_url)$/i.test(key)) continue;
    if (!isIndirect(m[2])) {
      found.push(`a literal value for "${key}"`);
      break;
    }
  }
  return found;
}
