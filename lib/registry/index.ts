/**
 * The on-disk model registry, as one import: artifact types
 * (lib/shapes/artifacts.ts), writing (./store, with ./lock, ./latest and
 * ./durableFiles), reading (./read), aliases (./aliasFile, ./aliases),
 * comparing versions (./diff), the files' text (./artifactText) and
 * lineage (./lineage).
 */
export type { Lineage, VersionDataMeta, VersionMeta, VersionRows } from "../shapes/artifacts";
export { ARTIFACT_FILES } from "../shapes/artifacts";
export { fingerprintColumns, gitCommit, packageVersion } from "./lineage";
export { AUTO_VERSION_TAG, LATEST_TAG, listVersions, loadVersion, resolveTag, validateVersionTag, type LoadedVersion, type ResolvedTag, type VersionSummary } from "./read";
export { ALIASES_FILE, readAliasFile, type AliasEntry, type AliasFile, type AliasMove } from "./aliasFile";
export { currentUser, promoteAlias, type PromoteOptions, type Promotion } from "./aliases";
export { diffVersions, type DiffRow, type VersionDiff } from "./diff";
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
