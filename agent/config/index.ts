export type {
  AgentConfig,
  CameraConfig,
  ConfigIssue,
  JurisdictionProfile,
  Language,
  LoadContext,
  LoadResult,
} from './types.js';
export { formatConfigIssue, formatPath } from './issues.js';
export { loadConfigFile, parseConfigText, resolveConfigObject } from './load.js';
export { ProfileError, defaultProfilesDir, listProfiles, loadProfile } from './profiles.js';
export { PROHIBITED_LOCATION_KINDS, configSchema } from './schema.js';
export { configJsonSchema, configJsonSchemaText } from './json-schema.js';
export { parseListen, type ListenAddress } from './listen.js';
