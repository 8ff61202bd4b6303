import * as fs from "node:fs";
import { loadSettings } from "../settings";
import { renderConfigs } from "../templates";
(async () => {
  const s = await loadSettings("prod", { environmentsDir: "/tmp/d25/env" });
  const c = renderConfigs(s).find((x) => x.service === "loki" && x.fileName === "loki.yaml")!;
  fs.writeFileSync("/tmp/d25/loki.yaml", c.content);
})().catch((e) => { console.error(e.message); process.exit(1); });
