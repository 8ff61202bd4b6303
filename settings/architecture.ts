/**
 * CPU architecture of each service's tasks (`runtime_platform.cpu_architecture`).
 *
 * Default: ARM64 (Graviton; Fargate's ARM64 vCPU- and GB-hours cost about 20% less) where the
 * service's image and the config init image are published for linux/arm64 and the service does not
 * use Fargate Spot, which runs X86_64 tasks only ("Linux tasks with the ARM64 architecture don't
 * support the Fargate Spot capacity provider", Amazon ECS developer guide, Fargate capacity providers).
 * Otherwise X86_64. `services.<name>.cpu_architecture` chooses; the checks refuse ARM64 for an image
 * not known to be published for it, and ARM64 together with Spot.
 *
 * What each image is published for comes from the projects' release build definitions (read as
 * stored in the search index: the current build files, which build the 3.x/2.x/1.x lines pinned here
 * the same way). A repository not listed is not assumed to have an ARM64 build.
 */
import type { ServiceName } from "./components";
import type { Settings } from "./schema";

export const CPU_ARCHITECTURES = ["X86_64", "ARM64"] as const;
export type CpuArchitecture = (typeof CPU_ARCHITECTURES)[number];

export interface ImagePlatforms {
  readonly architectures: readonly CpuArchitecture[];
  /** Where the platforms are declared. */
  readonly evidence: string;
}

/** Image repositories (without tag) → the architectures their release tags are published for. */
export const IMAGE_PLATFORMS: Readonly<Record<string, ImagePlatforms>> = {
  "grafana/mimir": {
    architectures: ["X86_64", "ARM64"],
    evidence: "grafana/mimir Makefile, push-multiarch-%: docker buildx build --platform linux/amd64,linux/arm64 (release images via .github/workflows/scripts/build-images.sh)",
  },
  "grafana/loki": {
    architectures: ["X86_64", "ARM64"],
    evidence: "grafana/loki .github/release-workflows.jsonnet: build.image('loki', 'cmd/loki') with no platform override (the amd64-only images pass platform=['linux/amd64']) and skipArm=false",
  },
  "grafana/tempo": {
    architectures: ["X86_64", "ARM64"],
    evidence: "grafana/tempo .github/workflows/docker.yml: tempo built on amd64 and arm64 runners, manifest <tag> = <tag>-amd64 + <tag>-arm64",
  },
  "grafana/pyroscope": {
    architectures: ["X86_64", "ARM64"],
    evidence: "grafana/pyroscope .goreleaser.yaml: docker_manifests <version> = amd64, arm64v8, armv6, armv7",
  },
  "grafana/alloy": {
    architectures: ["X86_64", "ARM64"],
    evidence: "grafana/alloy scripts/docker-containers: BUILD_PLATFORMS=linux/amd64,linux/arm64,linux/ppc64le,linux/s390x",
  },
  // grafana/grafana: its release pipeline could not be read here, so ARM64 is not assumed (X86_64).
  "public.ecr.aws/docker/library/busybox": {
    architectures: ["X86_64", "ARM64"],
    evidence: "docker-library/official-images library/busybox: every tag built for amd64, ..., arm64v8 (read at a 1.32 revision; ECR Public mirrors Docker's library)",
  },
  "public.ecr.aws/docker/library/memcached": {
    architectures: ["X86_64", "ARM64"],
    evidence: "docker-library/official-images library/memcached: every tag built for amd64, arm32v5/v6/v7, arm64v8, i386, ppc64le, s390x (read at a 1.5.20 revision; ECR Public mirrors Docker's library)",
  },
  busybox: {
    architectures: ["X86_64", "ARM64"],
    evidence: "docker-library/official-images library/busybox: every tag built for amd64, ..., arm64v8 (read at a 1.32 revision)",
  },
};

/** The repository of an image reference: "public.ecr.aws/docker/library/busybox:1.37.0" → "public.ecr.aws/docker/library/busybox". */
export function imageRepository(image: string): string {
  const noDigest = image.split("@")[0];
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** True when `repository` is known to be published for `arch`. */
export function imageSupports(repository: string, arch: CpuArchitecture): boolean {
  return IMAGE_PLATFORMS[repository]?.architectures.includes(arch) ?? arch === "X86_64";
}

/** ARM64 when the service's image and the init image have it and the service uses no Spot; else X86_64. */
export function defaultCpuArchitecture(s: Settings, name: ServiceName): CpuArchitecture {
  const svc = s.services[name];
  const arm =
    svc.spot_weight === 0 && imageSupports(svc.image, "ARM64") && imageSupports(imageRepository(s.ecs.config_init_image), "ARM64");
  return arm ? "ARM64" : "X86_64";
}

/** The architecture a service's tasks run on: its setting, else the default above. */
export function cpuArchitecture(s: Settings, name: ServiceName): CpuArchitecture {
  return s.services[name].cpu_architecture ?? defaultCpuArchitecture(s, name);
}

/** Explicit architectures the images or Fargate Spot cannot run. */
export function checkArchitectures(s: Settings): { key: string; message: string }[] {
  const out: { key: string; message: string }[] = [];
  for (const [name, svc] of Object.entries(s.services) as [ServiceName, Settings["services"][ServiceName]][]) {
    if (svc.cpu_architecture !== "ARM64") continue;
    const key = `services.${name}.cpu_architecture`;
    if (!imageSupports(svc.image, "ARM64")) {
      out.push({ key, message: `${svc.image}:${svc.version} is not known to be published for linux/arm64 (settings/architecture.ts lists the images checked); use "X86_64", or check its manifest (docker buildx imagetools inspect) and add it there` });
    }
    const init = imageRepository(s.ecs.config_init_image);
    if (!imageSupports(init, "ARM64")) {
      out.push({ key, message: `the config init image ${s.ecs.config_init_image} (ecs.config_init_image) runs in the same task and is not known to be published for linux/arm64; use "X86_64" or an init image built for arm64` });
    }
    if (svc.spot_weight > 0) {
      out.push({ key, message: `Fargate Spot runs X86_64 tasks only (services.${name}.spot_weight = ${svc.spot_weight}); use "X86_64", or spot_weight = 0 to run ARM64 on demand` });
    }
  }
  return out;
}
