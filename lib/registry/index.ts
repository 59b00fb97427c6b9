/**
 * The on-disk model registry, as one import: artifact types
 * (lib/shapes/artifacts.ts), writing (./store, with ./lock, ./latest and
 * ./durableFiles), reading (./read), the files' text (./artifactText) and
 * lineage (./lineage).
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
