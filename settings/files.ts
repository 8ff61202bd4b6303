/**
 * Whether a settings file or folder can be read, in words. A module of its own, with no settings
 * imports: commands/cli.ts checks `--environments` with it without loading the settings model.
 */
import * as fs from "node:fs";

/**
 * Why `file` cannot be read as a `kind`, in words, or undefined when it can: a missing file, a
 * symlink loop, a folder where a file belongs and the other way round, no permission.
 */
export function unreadable(file: string, kind: "file" | "folder"): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return kind === "file" ? "no such file" : "no such folder";
    if (code === "ELOOP") return "is a symbolic link that loops back on itself (or through too many links)";
    if (code === "ENOTDIR") return "a part of this path is a file, not a folder";
    if (code === "EACCES" || code === "EPERM") return "cannot be read (permission denied)";
    return `cannot be read (${code ?? String(e)})`;
  }
  if (kind === "folder" && !stat.isDirectory()) return "is a file; expected a folder of common.tfvars and <env>.tfvars files";
  if (kind === "file" && stat.isDirectory()) return "is a folder; expected a settings file";
  return undefined;
}
