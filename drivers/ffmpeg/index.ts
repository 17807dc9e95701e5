// ffmpeg driver: the segment recorder, its supervisor, and one-frame grabs. Children are
// spawned with argument arrays (never a shell), die with the agent (process.ts), and no
// credential from a stream URL reaches a message or log line unredacted (redact.ts).
export { FfmpegError, isFfmpegError, type FfmpegErrorCode } from './errors.js';
export { FRAME_DEFAULTS, frameArgs, grabFrame, type GrabFrameOptions } from './frame.js';
export { parentDeathPrefix, spawnFfmpeg, terminate, type ParentDeath, type SpawnFn } from './process.js';
export {
  RECORDER_DEFAULTS,
  defaultIoTimeoutMs,
  recorderArgs,
  SegmentRecorder,
  startSegmentRecorder,
  tzEnv,
  type RecorderExit,
  type SegmentRecorderOptions,
} from './recorder.js';
export { redactText, redactUrl, secretsOf, withCredentials } from './redact.js';
export { DEFAULT_BACKOFF_MS, Supervisor, type RunContext, type RunHandle, type SupervisorOptions, type SupervisorState, type Transition } from './supervisor.js';
