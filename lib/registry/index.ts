/**
 * The on-disk model registry, as one import: artifact types (lib/artifacts.ts),
 * writing (lib/registryStore.ts), reading (lib/registryRead.ts) and lineage
 * (lib/lineage.ts).
 */
export type { Lineage, VersionDataMeta, VersionMeta, VersionRows } from "../shapes/artifacts";
export { ARTIFACT_FILES } from "../shapes/artifacts";
export { fingerprintColumns, gitCommit, packageVersion } from "./lineage";
export { AUTO_VERSION_TAG, LATEST_TAG, listVersions, loadVersion, validateVersionTag, type LoadedVersion, type VersionSummary } from "./read";
export {
  assertRegistryWritable,
  assertVersionFree,
  registerModel,
  type LatestMode,
  type LineageInput,
  type RegisterOptions,
  type RegisteredVersion,
  type StoreFileSystem,
  type VersionMetaInput,
} from "./store";
