// Messages between the image pool (main thread) and its workers.
import type { ImageErrorCode } from './errors.js';

export interface WorkerData {
  /** URL (href) of the analyser module. */
  analyser: string;
  longSide: number;
  maxBytes: number;
}

export interface WorkerRequest {
  id: number;
  /** The JPEG, transferred (not copied). */
  bytes: ArrayBuffer;
}

export interface AnalysedImage<T = unknown> {
  /** Working-size picture the metrics were measured on. */
  width: number;
  height: number;
  /** The JPEG's own size. */
  sourceWidth: number;
  sourceHeight: number;
  analysis: T;
  decodeMs: number;
  analyseMs: number;
}

export type WorkerReply =
  | { id: number; ok: true; result: AnalysedImage }
  | { id: number; ok: false; code: ImageErrorCode | 'internal'; message: string };
