// vaekit/metrics: sample-quality metrics. FID over a fixed MNIST classifier's features (the classifier's weights ship
// in this sub-path; the matrix square root comes from the optional peer dependency ml-matrix).
export { fid, fidFromStatistics, FidClassifier, FID_FEATURES, type FeatureStatistics } from "./metrics/fid.js";
