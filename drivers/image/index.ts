export { DEFAULT_MAX_INPUT_BYTES, WORKING_LONG_SIDE, checkJpeg, decodeJpeg, rgbPipeline, type DecodeOptions, type RgbImage } from './decode.js';
export { ImageError, isImageError, type ImageErrorCode } from './errors.js';
export { looksLikeJpeg, readJpegHeader, type JpegHeader } from './jpeg.js';
export { ImageWorkerPool, runnableModuleUrl, type AnalysedImage, type ImagePoolOptions } from './pool.js';
