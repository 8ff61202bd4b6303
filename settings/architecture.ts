/**
 * CPU architecture of each service's tasks (`runtime_platform.cpu_architecture`): the service's
 * `cpu_architecture` setting, else ARM64 where the pinned image is published for linux/arm64, else
 * X86_64. Fargate's ARM64 (Graviton) vCPU- and GB-hours cost about 20% less than X86_64's.
 */
import type { ServiceName } from "./components";
import type { Settings } from "./schema";

export const CPU_ARCHITECTURES = ["X86_64", "ARM64"] as const;
export type CpuArchitecture = (typeof CPU_ARCHITECTURES)[number];

/** The architecture a service's tasks run on. */
export function cpuArchitecture(s: Settings, name: ServiceName): CpuArchitecture {
  return s.services[name].cpu_architecture ?? "X86_64";
}
