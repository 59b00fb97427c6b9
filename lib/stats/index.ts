/** Numeric building blocks with numpy's exact semantics, on typed arrays. */
export * from "./pairwiseSum";
export * from "./mean";
export * from "./median";
export * from "./quantileSorted";
export * from "./roundHalfEven";
export * from "./interpolateGaps";
export * from "./rankView";
export * from "./seededRandom";
export * from "./jacobiEigen";
